import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ProviderFactoryTests {
    struct NoTransport: HTTPTransport {
        func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse {
            throw TransportError.notSent("no transport in this test")
        }
    }

    static let environment = ["KEY": "secret"]

    func client(_ config: ProviderConfig) throws -> ProviderClient {
        let dialect = try #require(DialectRegistry.dialect(named: config.dialect))
        return try ProviderFactory.client(
            for: config, dialect: dialect, environment: Self.environment, transport: NoTransport(), governor: nil)
    }

    @Test func eachDialectGivesItsAdapter() throws {
        let made: [String: any ImageProvider] = try Dictionary(
            uniqueKeysWithValues: DialectRegistry.names.map { name in
                let config = ProviderConfig(
                    name: "p", dialect: name, baseURL: "https://api.example", apiKeyEnv: name == "offline" ? nil : "KEY")
                return (name, try ProviderFactory.make(config, environment: Self.environment, transport: NoTransport()))
            })
        #expect(made["offline"] is OfflineProvider)
        #expect(made["openai-images"] is OpenAIImagesProvider)
        #expect(made["mountsea"] is AsyncTaskDriver<MountseaTranslator>)
        #expect(made["image-tasks"] is AsyncTaskDriver<ImageTasksTranslator>)
        #expect((made["evolink"] as? AsyncTaskDriver<EvolinkTranslator>)?.translator.callbackURL == nil)
        #expect(made["gemini"] is GeminiProvider)
        for dialect in DialectRegistry.all { #expect(made[dialect.name]?.submissionKind == dialect.submissionKind, "\(dialect.name)") }
    }

    @Test func dialectOptionsReachTheTranslator() throws {
        let config = ProviderConfig(name: "e", dialect: "evolink", apiKeyEnv: "KEY", callbackURL: "https://hooks.example/done")
        let made = try ProviderFactory.make(config, environment: Self.environment, transport: NoTransport())
        #expect((made as? AsyncTaskDriver<EvolinkTranslator>)?.translator.callbackURL == "https://hooks.example/done")
        let openAI = ProviderConfig(name: "o", dialect: "openai-images", baseURL: "https://api.example", apiKeyEnv: "KEY")
        #expect(
            (try ProviderFactory.make(openAI, environment: Self.environment, transport: NoTransport()) as? OpenAIImagesProvider)?
                .responseFormat == OpenAIImagesDialect.defaultResponseFormat)
    }

    @Test func pollAndAuthComeFromTheDialectUnlessTheManifestSays() throws {
        #expect(try client(ProviderConfig(name: "m", dialect: "mountsea", apiKeyEnv: "KEY")).poll.initial == 5)
        #expect(try client(ProviderConfig(name: "m", dialect: "mountsea", apiKeyEnv: "KEY", pollSeconds: 0.5)).poll.initial == 0.5)
        #expect(try client(ProviderConfig(name: "e", dialect: "evolink", apiKeyEnv: "KEY")).poll.initial == 2)
        #expect(try client(ProviderConfig(name: "g", dialect: "gemini", apiKeyEnv: "KEY")).auth == .googleAPIKey)
        #expect(try client(ProviderConfig(name: "e", dialect: "evolink", apiKeyEnv: "KEY")).baseURL == "https://api.evolink.ai")
    }

    @Test func missingKeyAndMissingBaseURLAreUsageErrors() {
        #expect(throws: UsageError.self) {
            try ProviderFactory.make(
                ProviderConfig(name: "g", dialect: "gemini", apiKeyEnv: "UNSET"), environment: [:], transport: NoTransport())
        }
        #expect(throws: UsageError.self) {
            try ProviderFactory.make(
                ProviderConfig(name: "o", dialect: "openai-images", apiKeyEnv: "KEY"), environment: Self.environment,
                transport: NoTransport())
        }
    }
}
