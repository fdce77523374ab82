import Foundation

/// A provider setting that only some dialects take. Each dialect lists the ones it accepts
/// (`Dialect.options`) and checks their values; the validator refuses the rest.
enum ProviderOption: String, CaseIterable, Sendable {
    /// Simulated latency per image (`latencyMs`).
    case latencyMs
    /// First wait between polls of an async task.
    case pollSeconds
    /// How the image comes back (`url` or `b64_json`).
    case responseFormat
    /// An HTTPS address the provider calls when a task ends.
    case callbackURL
    /// `sync` (one request per image) or `batch` (the provider's batch API, at its batch price).
    case mode

    /// The key in a manifest's provider entry.
    var key: String { rawValue }

    /// Why a dialect that does not take this option refuses it, naming the dialects that do.
    func refusal(acceptedBy dialects: [String]) -> String {
        let names = dialects.joined(separator: ", ")
        switch self {
        case .latencyMs: return "only the \(names) dialect simulates latency"
        case .pollSeconds: return "only the async dialects and gemini's batch mode (\(names)) poll"
        case .responseFormat: return "only the \(names) dialect takes a response format"
        case .callbackURL: return "only the \(names) dialect calls back"
        case .mode: return "only the \(names) dialect has a batch mode"
        }
    }
}
