import Foundation

/// How a provider's jobs are sent (`"mode"`, gemini only): one request per image, or Google's Batch
/// API at the batch price with a turnaround of hours.
package enum ProviderMode: String, CaseIterable, Sendable {
    case sync
    case batch

    /// Every mode, as written.
    static var names: [String] { allCases.map(\.rawValue) }

    /// What `plan` says about batch jobs' turnaround.
    static let batchTurnaround = "usually within hours, at most 24 h; results are collected by a later run"
}
