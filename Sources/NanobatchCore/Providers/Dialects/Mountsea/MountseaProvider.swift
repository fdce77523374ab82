import Foundation

/// Dialect `mountsea`'s adapter: `MountseaTranslator` run by the shared `AsyncTaskDriver`.
public struct MountseaProvider: ImageProvider {
    public let client: ProviderClient

    public init(client: ProviderClient) { self.client = client }

    public var submissionKind: SubmissionKind { MountseaDialect().submissionKind }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        try await AsyncTaskDriver(client: client, translator: MountseaTranslator()).generate(request)
    }
}
