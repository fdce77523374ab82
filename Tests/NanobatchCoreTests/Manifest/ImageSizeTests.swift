import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ImageSizeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let offered: [ImageSize]
        let requested: ImageSize?
        let expected: SizeChoice
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "fixed-size model gets none", offered: [], requested: .fourK, expected: SizeChoice(size: nil, refused: nil)),
        Case(name: "offered size is kept", offered: [.oneK, .twoK], requested: .twoK, expected: SizeChoice(size: .twoK, refused: nil)),
        Case(name: "nothing asked: 1K", offered: [.halfK, .oneK, .twoK], requested: nil, expected: SizeChoice(size: .oneK, refused: nil)),
        Case(
            name: "nothing asked, no 1K: the first", offered: [.twoK, .fourK], requested: nil,
            expected: SizeChoice(size: .twoK, refused: nil)),
        Case(
            name: "size the model lacks is refused", offered: [.oneK, .twoK, .fourK], requested: .halfK,
            expected: SizeChoice(size: .oneK, refused: .halfK)),
    ]

    @Test(arguments: cases)
    func oneRuleForValidatorAndPlanner(_ testCase: Case) {
        let spec = ModelSpec(id: "m", aspectRatios: AspectRatio.standard, imageSizes: testCase.offered)
        #expect(spec.sizeChoice(requested: testCase.requested) == testCase.expected)
    }

    @Test func namesAreTheWrittenForms() {
        #expect(ImageSize.names == ["0.5K", "1K", "2K", "4K"])
        #expect(ImageSize(rawValue: "8K") == nil)
    }

    @Test func plannedJobsCarryTheChosenSize() throws {
        let json = baseManifest(
            providers:
                #"{ "g": { "dialect": "gemini", "apiKeyEnv": "K" }, "o": { "dialect": "openai-images", "baseURL": "https://gw.example", "apiKeyEnv": "K" } }"#,
            models: #"["g:gemini-3-pro-image", "o:nano-banana"]"#, references: "[[]]"
        )
        .replacingOccurrences(of: "\"imageSize\": \"0.5K\"", with: "\"variants\": 1")
        let manifest = try ManifestLoader.decode(Data(json.utf8), file: "m.json", directory: FileManager.default.temporaryDirectory)
        let jobs = Planner.expand(manifest).jobs
        #expect(Set(jobs.filter { $0.model == "gemini-3-pro-image" }.map(\.imageSize)) == ["1K"])
        #expect(Set(jobs.filter { $0.model == "nano-banana" }.map(\.imageSize)) == [nil])
        #expect(jobs.first?.size == .oneK)
    }
}
