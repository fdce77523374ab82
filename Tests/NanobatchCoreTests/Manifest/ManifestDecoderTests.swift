import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ManifestDecoderTests {
    static let object: JSONObject = {
        guard case .object(let object) = try! JSONParser.parse(#"{"s": "x", "n": 2, "f": 2.5, "a": ["x", 1], "o": {"k": 1}}"#) else {
            fatalError("not an object")
        }
        return object
    }()

    @Test func readsValuesOfTheRightType() {
        var decoder = ManifestDecoder()
        #expect(decoder.string("s", in: Self.object, at: .root) == "x")
        #expect(decoder.integer("n", in: Self.object, at: .root, range: 1...3) == 2)
        #expect(decoder.number("f", in: Self.object, at: .root, minimum: 0, exclusive: true) == 2.5)
        #expect(decoder.string("missing", in: Self.object, at: .root) == nil)
        #expect(decoder.issues.isEmpty)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let read: @Sendable (inout ManifestDecoder) -> Void
        let issue: ManifestIssue
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "missing required", read: { _ = $0.string("id", in: object, at: JSONPath.root.key("p"), required: true) },
            issue: ManifestIssue(path: "p.id", message: "missing required key \"id\"")),
        Case(
            name: "string that is a number", read: { _ = $0.string("n", in: object, at: .root) },
            issue: ManifestIssue(path: "n", message: "expected a string, found a number")),
        Case(
            name: "fraction for a whole number", read: { _ = $0.integer("f", in: object, at: .root, range: 0...9) },
            issue: ManifestIssue(path: "f", message: "expected a whole number, found a fraction")),
        Case(
            name: "out of range", read: { _ = $0.integer("n", in: object, at: .root, range: 3...9) },
            issue: ManifestIssue(path: "n", message: "2 is out of range; allowed: 3…9")),
        Case(
            name: "not above the minimum", read: { _ = $0.number("n", in: object, at: .root, minimum: 2, exclusive: true) },
            issue: ManifestIssue(path: "n", message: "2.0 must be greater than 2.0")),
        Case(
            name: "non-string array item", read: { _ = $0.stringArray(object["a"], at: JSONPath.root.key("a"), nonEmpty: true) },
            issue: ManifestIssue(path: "a[1]", message: "expected a string, found a number")),
        Case(
            name: "unknown key", read: { _ = $0.object(object["o"], at: JSONPath.root.key("o"), allowed: ["j"]) },
            issue: ManifestIssue(path: "o.k", message: "unknown key \"k\" (did you mean \"j\"?); allowed keys: j")),
    ]

    @Test(arguments: cases)
    func recordsOneIssueWithItsPath(_ testCase: Case) {
        var decoder = ManifestDecoder()
        testCase.read(&decoder)
        #expect(decoder.issues == [testCase.issue])
    }
}
