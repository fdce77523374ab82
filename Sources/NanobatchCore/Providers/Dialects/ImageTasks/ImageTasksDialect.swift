import Foundation

/// Dialect `image-tasks` (seed 003, "UniAll"): an async task API that takes reference URLs only;
/// the size is part of the model name.
struct ImageTasksDialect: Dialect {
    let name = "image-tasks"
    let models =
        [ModelSpec(id: "NanoBanana", aspectRatios: AspectRatio.standard, formats: [.png, .jpeg, .webp])]
        + ["0.5K", "1K", "2K", "4K"].map {
            ModelSpec(id: "NanoBanana2-\($0)", aspectRatios: AspectRatio.standard, formats: [.png, .jpeg])
        }
        + ["1K", "2K", "4K", "8K"].map {
            ModelSpec(id: "NanoBananaPro-\($0)", aspectRatios: AspectRatio.standard, formats: [.png, .jpeg])
        }
    let anyModel: ModelSpec? = nil
    let usesHTTP = true
    let defaultBaseURL: String? = nil
    let needsAPIKey = true
    let auth = AuthStyle.bearer
    let referencesMustBeURLs = true
    let submissionKind = SubmissionKind.asyncTask
    let pollSeconds: Double? = 2
    let options: Set<ProviderOption> = [.pollSeconds]

    func problem(with option: ProviderOption, value: String) -> String? { nil }

    func makeProvider(config: ProviderConfig, client: () throws -> ProviderClient) throws -> any ImageProvider {
        AsyncTaskDriver(client: try client(), translator: ImageTasksTranslator())
    }
}
