import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct JSONPathTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let path: JSONPath
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "root prints as nothing", path: .root, expected: ""),
        Case(name: "top-level key has no dot", path: JSONPath.root.key("version"), expected: "version"),
        Case(name: "nested keys join with dots", path: JSONPath.root.key("matrix").key("imageSize"), expected: "matrix.imageSize"),
        Case(
            name: "indexes in brackets", path: JSONPath.root.key("matrix").key("prompts").index(3).key("text"),
            expected: "matrix.prompts[3].text"),
        Case(
            name: "nested indexes", path: JSONPath.root.key("matrix").key("references").index(1).index(0),
            expected: "matrix.references[1][0]"),
        Case(name: "dashes, underscores and $ stay plain", path: JSONPath.root.key("$schema"), expected: "$schema"),
        Case(
            name: "other keys are quoted", path: JSONPath.root.key("pricing").key("local:nano-banana-2"),
            expected: #"pricing["local:nano-banana-2"]"#),
        Case(name: "quoted key at the top", path: JSONPath.root.key("a b"), expected: #"["a b"]"#),
    ]

    @Test(arguments: cases)
    func printsAsMessagesShowIt(_ testCase: Case) {
        #expect(testCase.path.text == testCase.expected)
        #expect("\(testCase.path)" == testCase.expected)
    }
}
