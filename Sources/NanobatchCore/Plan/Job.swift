import Foundation

/// A reference image as the provider receives it: a local file (hashed by content) or a URL.
package enum Reference: Sendable, Hashable {
    /// `path` is absolute; `written` is the text from the manifest.
    case file(path: String, written: String)
    case url(String)

    package var written: String {
        switch self {
        case .file(_, let written): return written
        case .url(let url): return url
        }
    }
}

/// One image to make: a single provider request.
package struct Job: Sendable {
    package internal(set) var index: Int
    /// Stable, readable id: `<prompt or step>/<provider>-<model>_<ratio>[_<size>][_refs<k>]_v<n>`.
    package let id: String
    /// The prompt id, or the step id for chained jobs.
    package let group: String
    package let promptID: String
    package let stepID: String?
    package let promptText: String
    package let provider: String
    package let dialect: String
    package let model: String
    package let aspectRatio: String
    /// `nil` when the model offers no sizes; adapters send a size exactly when there is one.
    package let imageSize: String?
    package let format: ImageFormat
    package let variant: Int
    package let references: [Reference]
    /// The job whose output is this job's first reference (chained steps).
    package internal(set) var upstream: Int?
    /// Path of the friendly file below the manifest's output folder, without extension.
    package let friendlyStem: String
    /// USD per image; `nil` when the price is unknown.
    package let unitPrice: Double?
    /// The template values this job's text was rendered with (a step's job: its source's), in matrix order.
    package var variables: [VariableValue] = []
    /// Which make of this image: 1, or more after `reroll` (from the takes file). Part of the content key above 1.
    package var take: Int = 1
    /// The take of this job picked for its pick group (`nanobatch pick`), if this job holds the group's pick.
    package var pickedTake: Int?

    /// The pick group: jobs of one prompt or step, ratio and variable values, which differ only by
    /// model, size, reference set, variant or take. A group has at most one pick; exports copy it.
    package var pickGroup: PickGroup {
        PickGroup(source: group, aspectRatio: aspectRatio, variables: variables)
    }

    package var qualifiedModel: String { "\(provider):\(model)" }

    /// `aspectRatio` as a type (jobs come from validated manifests, so it is a known ratio).
    var ratio: AspectRatio? { AspectRatio(rawValue: aspectRatio) }
    /// `imageSize` as a type.
    var size: ImageSize? { imageSize.flatMap(ImageSize.init(rawValue:)) }
}

/// The identity of a pick group (see `Job.pickGroup`).
package struct PickGroup: Sendable, Hashable {
    package var source: String
    package var aspectRatio: String
    package var variables: [VariableValue]
}

/// The expanded manifest: jobs in deterministic order, with their dependency edges.
package struct JobGraph: Sendable {
    package let manifest: Manifest
    package let jobs: [Job]
    /// `dependents[i]`: the jobs whose upstream is job `i`.
    package let dependents: [[Int]]
}

/// One value of a template variable, as a job carries it.
package struct VariableValue: Sendable, Hashable {
    package var name: String
    package var value: String
    /// `value` as job ids and export paths write it.
    package var slug: String { Template.slug(value) }
}
