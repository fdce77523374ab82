import Foundation

/// Dialect `evolink`'s adapter: `EvolinkTranslator` run by the shared `AsyncTaskDriver`, which
/// submits a task again when it fails with one of the translator's "retry later" codes.
public struct EvolinkProvider: ImageProvider {
    public let client: ProviderClient
    public let callbackURL: String?

    public init(client: ProviderClient, callbackURL: String? = nil) {
        self.client = client
        self.callbackURL = callbackURL
    }

    public var submissionKind: SubmissionKind { EvolinkDialect().submissionKind }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        try await AsyncTaskDriver(client: client, translator: EvolinkTranslator(callbackURL: callbackURL)).generate(request)
    }
}
