import Foundation
import Testing

@testable import NanobatchCore

/// A job with only what request translators read set to something meaningful.
func translatorJob(
    model: String = "m", prompt: String = "A red cube", ratio: String = "1:1", size: String? = nil,
    format: ImageFormat = .png, unitPrice: Double? = nil
) -> Job {
    Job(
        index: 0, id: "hero/p-m_1x1_v1", group: "hero", promptID: "hero", stepID: nil, promptText: prompt, provider: "p",
        dialect: "d", model: model, aspectRatio: ratio, imageSize: size, format: format, variant: 1, references: [],
        upstream: nil, friendlyStem: "hero/p-m_1x1_v1", unitPrice: unitPrice)
}

/// What a task state should be, written so a table case reads as one line.
enum ExpectedTaskState: Sendable, CustomStringConvertible {
    case running(String)
    case succeeded([String])
    /// The failure's message contains the text; its provider code and whether it is retryable.
    case failed(containing: String, code: String?, retryable: Bool)

    var description: String {
        switch self {
        case .running(let status): return "running(\(status))"
        case .succeeded(let locations): return "succeeded(\(locations))"
        case .failed(let text, let code, let retryable): return "failed(\(text), \(code ?? "nil"), \(retryable))"
        }
    }

    /// `nil` when the state matches, else what differs.
    func mismatch(_ state: ProviderClient.TaskState) -> String? {
        switch (self, state) {
        case (.running(let expected), .running(let status)) where expected == status: return nil
        case (.succeeded(let expected), .succeeded(let locations, _)) where expected == locations: return nil
        case (.failed(let text, let code, let retryable), .failed(let failure))
        where failure.message.contains(text) && failure.providerCode == code && failure.retryable == retryable: return nil
        default: return "expected \(self), got \(state)"
        }
    }
}

/// One named poll-answer case for a translator's `taskState`.
struct TaskStateCase: CustomTestStringConvertible, Sendable {
    let name: String
    let answer: String
    let expected: ExpectedTaskState
    var testDescription: String { name }
}

/// One named create-body case: the job, the reference URLs, and the body expected (as JSON text).
struct CreateBodyCase: CustomTestStringConvertible, Sendable {
    let name: String
    let job: Job
    let referenceURLs: [String]
    let body: String
    var testDescription: String { name }
}
