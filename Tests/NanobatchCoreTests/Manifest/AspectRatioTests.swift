import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct AspectRatioTests {
    @Test func onlyKnownRatiosAreValues() {
        #expect(AspectRatio(rawValue: "16:9")?.rawValue == "16:9")
        #expect(AspectRatio(rawValue: "7:9") == nil)
        #expect(AspectRatio.extended.count == 14 && AspectRatio.standard.count == 10)
        #expect(AspectRatio.list(["9:16", "7:9", "1:1"]).map(\.rawValue) == ["9:16", "1:1"])
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let ratio: String
        let width: Int
        let height: Int
        let off: Bool
        var testDescription: String { "\(ratio) at \(width)×\(height)" }
    }

    static let cases = [
        Case(ratio: "16:9", width: 1344, height: 768, off: false),
        Case(ratio: "16:9", width: 1024, height: 1024, off: true),
        Case(ratio: "1:1", width: 1024, height: 1000, off: false),
        Case(ratio: "1:1", width: 1024, height: 980, off: true),
        Case(ratio: "21:9", width: 1536, height: 672, off: false),
    ]

    @Test(arguments: cases)
    func offRatioIsMoreThanThreePercent(_ testCase: Case) throws {
        let ratio = try #require(AspectRatio(rawValue: testCase.ratio))
        #expect(ratio.isOff(width: testCase.width, height: testCase.height) == testCase.off)
        #expect(ModelCatalog.isOffRatio(width: testCase.width, height: testCase.height, ratio: testCase.ratio) == testCase.off)
    }

    @Test func fileNamePartAndValue() {
        #expect(AspectRatio(rawValue: "16:9")?.fileNamePart == "16x9")
        #expect(AspectRatio.value(of: "3:2") == 1.5)
        #expect(AspectRatio.value(of: "3:0") == nil)
    }
}
