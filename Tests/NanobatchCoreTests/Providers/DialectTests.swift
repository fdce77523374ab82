import Testing

@testable import NanobatchCore

/// What every dialect declaration must keep consistent, checked for each registered dialect.
@Suite(.timeLimit(.minutes(2))) struct DialectTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let dialect: any Dialect
        var testDescription: String { dialect.name }
    }

    static let cases = DialectRegistry.all.map(Case.init)

    @Test(arguments: cases)
    func pollingGoesWithAsyncTasks(_ testCase: Case) {
        let dialect = testCase.dialect
        let isAsync = dialect.submissionKind == .asyncTask
        #expect((dialect.pollSeconds != nil) == isAsync)
        // Gemini polls its batches (batch mode) without being an async dialect.
        #expect(dialect.accepts(.pollSeconds) == (isAsync || dialect.name == "gemini"))
    }

    @Test(arguments: cases)
    func modelTableIsConsistent(_ testCase: Case) {
        let dialect = testCase.dialect
        #expect(!dialect.models.isEmpty || dialect.anyModel != nil)
        #expect(Set(dialect.models.map(\.id)).count == dialect.models.count, "model ids listed twice")
        for model in dialect.models {
            #expect(Set(model.aspectRatios).isSubset(of: AspectRatio.extended), "\(model.id)")
            #expect(!model.formats.isEmpty, "\(model.id)")
            #expect(dialect.model(model.id) == model)
        }
    }

    @Test(arguments: cases)
    func aDialectWithoutHTTPNeedsNoKeyAndIsFree(_ testCase: Case) {
        let dialect = testCase.dialect
        if !dialect.usesHTTP {
            #expect(!dialect.needsAPIKey)
            #expect(dialect.submissionKind == .free)
        } else {
            #expect(dialect.submissionKind != .free)
        }
    }

    @Test func offlineServesAnyModelName() {
        #expect(OfflineDialect().model("whatever")?.id == "whatever")
        #expect(GeminiDialect().model("whatever") == nil)
    }

    @Test func declarationsCarryWhatTheFactoryOnceSwitchedOn() {
        #expect(MountseaDialect().pollSeconds == 5)
        #expect(EvolinkDialect().pollSeconds == 2)
        #expect(ImageTasksDialect().pollSeconds == 2)
        #expect(GeminiDialect().auth == .googleAPIKey)
        #expect(DialectRegistry.all.filter { $0.auth == .googleAPIKey }.map(\.name) == ["gemini"])
    }

    @Test func optionValuesAreCheckedByTheirDialect() {
        #expect(OpenAIImagesDialect().problem(with: .responseFormat, value: "b64_json") == nil)
        #expect(OpenAIImagesDialect().problem(with: .responseFormat, value: "png") == "\"png\" is not one of url, b64_json")
        #expect(EvolinkDialect().problem(with: .callbackURL, value: "https://hooks.example.com/x") == nil)
        #expect(EvolinkDialect().problem(with: .callbackURL, value: "http://hooks.example.com/x") != nil)
    }
}
