import Foundation
import Testing

@testable import NanobatchCore

/// Semantic errors carry `file:line:column` besides their JSON path.
@Suite(.timeLimit(.minutes(2))) struct ManifestPositionsTests {
    static let manifest = """
        {
          "version": 1,
          "providers": { "local": { "dialect": "offline" } },
          "matrix": {
            // comments do not move the count
            "prompts": [ { "id": "hero", "text": "a" } ],
            "aspectRatios": ["1:1",
                             "16:10"],
            "models": ["local:nano-banana-2"], "colour": "red"
          }
        }
        """

    @Test func semanticErrorsCarryFileLineColumn() async throws {
        let workspace = try TestWorkspace()
        let file = try workspace.write("m.json", ManifestPositionsTests.manifest)
        let result = await runCLI(["validate", file])
        #expect(result.status == 2)
        let lines = result.err.split(separator: "\n").map(String.init)
        // An array element at its value, an object member at its key, a missing key at its parent.
        #expect(lines.contains { $0.hasPrefix("\(file):8:22: error: matrix.aspectRatios[1]: \"16:10\" is not one of") }, "\(result.err)")
        #expect(lines.contains { $0.hasPrefix("\(file):9:40: error: matrix.colour: unknown key") }, "\(result.err)")
        #expect(lines.contains("\(file):1:1: error: name: missing required key \"name\""), "\(result.err)")
        // In the order they appear in the file.
        #expect(lines.map { $0.dropFirst(file.count + 1).prefix(4) } == ["1:1:", "8:22", "9:40"], "\(result.err)")
    }

    @Test func nearestWrittenParentStandsInForAMissingPath() {
        let positions = ManifestPositions(Data(#"{"a": {"b": [1, {"c": 2}]}}"#.utf8))
        #expect(positions.position(of: "a.b[1].c") == .init(line: 1, column: 18))
        #expect(positions.position(of: "a.b[1].d") == .init(line: 1, column: 17))
        #expect(positions.position(of: "a.x[3]") == .init(line: 1, column: 2))
        #expect(positions.position(of: "zzz") == .init(line: 1, column: 1))
    }

    @Test func quotedKeysAndNonASCIIColumns() {
        let positions = ManifestPositions(Data("{\"é\": 1,\n \"a b\": [\"ü\", 2]}".utf8))
        #expect(positions.position(of: "é") == .init(line: 1, column: 2))
        #expect(positions.position(of: "[\"a b\"][1]") == .init(line: 2, column: 15))
    }
}
