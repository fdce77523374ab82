import Foundation

/// An image size tier as manifests and most APIs write it.
package enum ImageSize: String, CaseIterable, Sendable {
    case halfK = "0.5K"
    case oneK = "1K"
    case twoK = "2K"
    case fourK = "4K"

    /// What a model that offers several sizes makes when none is asked for (if it offers it).
    static let standard = ImageSize.oneK

    /// Every size, as written, in the order messages list them.
    static var names: [String] { allCases.map(\.rawValue) }
}

/// What a model makes when a size is asked of it: the one size rule, read by the validator (which
/// refuses a size the model does not offer) and the planner (which puts `size` in the job).
struct SizeChoice: Sendable, Equatable {
    /// The size to request; `nil` when the model has one fixed size and is sent none.
    var size: ImageSize?
    /// The requested size, when the model does not offer it.
    var refused: ImageSize?
}

extension ModelSpec {
    /// A model with no sizes gets none; an offered size is kept; otherwise the model's default
    /// (`ImageSize.standard` if offered, else its first), and a requested size it lacks is `refused`.
    func sizeChoice(requested: ImageSize?) -> SizeChoice {
        guard !imageSizes.isEmpty else { return SizeChoice(size: nil, refused: nil) }
        if let requested, imageSizes.contains(requested) { return SizeChoice(size: requested, refused: nil) }
        let fallback = imageSizes.contains(.standard) ? ImageSize.standard : imageSizes.first
        return SizeChoice(size: fallback, refused: requested)
    }
}
