import Foundation

/// A reference image as the provider receives it: a local file (hashed by content) or a URL.
public enum Reference: Sendable, Hashable {
    /// `path` is absolute; `written` is the text from the manifest.
    case file(path: String, written: String)
    case url(String)

    public var written: String {
        switch self {
        case .file(_, let written): return written
        case .url(let url): return url
        }
    }
}

/// One image to make: a single provider request.
public struct Job: Sendable {
    public let index: Int
    /// Stable, readable id: `<prompt or step>/<provider>-<model>_<ratio>[_<size>][_refs<k>]_v<n>`.
    public let id: String
    /// The prompt id, or the step id for chained jobs.
    public let group: String
    public let promptID: String
    public let stepID: String?
    public let promptText: String
    public let provider: String
    public let dialect: String
    public let model: String
    public let aspectRatio: String
    /// `nil` when the model offers no sizes; adapters send a size exactly when there is one.
    public let imageSize: String?
    public let format: ImageFormat
    public let variant: Int
    public let references: [Reference]
    /// The job whose output is this job's first reference (chained steps).
    public let upstream: Int?
    /// Path of the friendly file below the manifest's output folder, without extension.
    public let friendlyStem: String
    /// USD per image; `nil` when the price is unknown.
    public let unitPrice: Double?

    public var qualifiedModel: String { "\(provider):\(model)" }

    /// `aspectRatio` as a type (jobs come from validated manifests, so it is a known ratio).
    var ratio: AspectRatio? { AspectRatio(rawValue: aspectRatio) }
    /// `imageSize` as a type.
    var size: ImageSize? { imageSize.flatMap(ImageSize.init(rawValue:)) }
}

/// The expanded manifest: jobs in deterministic order, with their dependency edges.
public struct JobGraph: Sendable {
    public let manifest: Manifest
    public let jobs: [Job]
    /// `dependents[i]`: the jobs whose upstream is job `i`.
    public let dependents: [[Int]]
}
