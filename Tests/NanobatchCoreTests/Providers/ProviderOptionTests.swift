import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ProviderOptionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let option: ProviderOption
        let expected: String
        var testDescription: String { option.key }
    }

    /// The refusals the validator gives today, built from the registry.
    static let cases = [
        Case(option: .latencyMs, expected: "only the offline dialect simulates latency"),
        Case(
            option: .pollSeconds, expected: "only the async dialects and gemini's batch mode (mountsea, image-tasks, evolink, gemini) poll"),
        Case(option: .responseFormat, expected: "only the openai-images dialect takes a response format"),
        Case(option: .callbackURL, expected: "only the evolink dialect calls back"),
        Case(option: .mode, expected: "only the gemini dialect has a batch mode"),
    ]

    @Test(arguments: cases)
    func refusalNamesTheDialectsThatTakeIt(_ testCase: Case) {
        #expect(testCase.option.refusal(acceptedBy: DialectRegistry.names(accepting: testCase.option)) == testCase.expected)
    }

    @Test func keysAreManifestProviderKeys() {
        for option in ProviderOption.allCases { #expect(ManifestLoader.providerKeys.contains(option.key)) }
    }
}
