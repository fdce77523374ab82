import Foundation

/// Dialect `image-tasks`'s adapter: `ImageTasksTranslator` run by the shared `AsyncTaskDriver`.
public struct ImageTasksProvider: ImageProvider {
    public let client: ProviderClient

    public init(client: ProviderClient) { self.client = client }

    public var submissionKind: SubmissionKind { ImageTasksDialect().submissionKind }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        try await AsyncTaskDriver(client: client, translator: ImageTasksTranslator()).generate(request)
    }
}
