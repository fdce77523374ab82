import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct JSONCursorTests {
    static let document = #"""
        {"a": [1, -2.5e1, true, false, null, {"x": "y\n\u00e9\ud83d\ude00"}], "b": {}, "c": [], "d": "plain", "e": {"f": [[[]]]}}
        """#

    /// Member by member, reading some values and skipping others, the cursor sees what the tree parser sees.
    @Test func readingAndSkippingAgreeWithTheTree() throws {
        let tree = try JSONParser.parse(Self.document)
        for skipped in ["a", "b", "c", "d", "e"] {
            var cursor = JSONCursor(Data(Self.document.utf8))
            var read = JSONObject()
            try cursor.beginObject()
            while let key = try cursor.nextKey() {
                if key == skipped { try cursor.skipValue() } else { read[key] = try cursor.readValue() }
            }
            try cursor.expectEnd()
            var expected = tree.objectValue!
            expected[skipped] = nil
            #expect(read == expected, "skipping \(skipped)")
        }
    }

    /// Skipping checks as strictly as reading: every malformed document fails either way.
    @Test(arguments: ["{\"a\":1,}", "[1 2]", "\"\\x\"", "01", "[", "nul", "\"\u{01}\"", "{} x", "\"\\ud800\"", "[1,]", "{\"a\" 1}", "{,}"])
    func skippingRejectsMalformedInput(_ text: String) {
        #expect(throws: JSONSyntaxError.self) {
            var cursor = JSONCursor(Data(text.utf8))
            try cursor.skipValue()
            try cursor.expectEnd()
        }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test func skippingIsDepthCapped() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) {
            var cursor = JSONCursor(Data(deep.utf8))
            try cursor.skipValue()
        }
    }

    /// The lenient reads take a value of the wanted type and step over any other.
    @Test func lenientReadsTakeTheirTypeAndSkipTheRest() throws {
        var cursor = JSONCursor(Data(#"["s", 3, {"k": 1}, 4.5, ["a", 1, "b"], "t", null]"#.utf8))
        try cursor.beginArray()
        var seen: [String] = []
        #expect(try cursor.nextElement())
        seen.append("\(try cursor.stringIfString() as Any)")
        #expect(try cursor.nextElement())
        seen.append("\(try cursor.stringIfString() as Any)")
        #expect(try cursor.nextElement())
        seen.append("\(try cursor.numberIfNumber() as Any)")
        #expect(try cursor.nextElement())
        seen.append("\(try cursor.numberIfNumber() as Any)")
        #expect(try cursor.nextElement())
        seen.append("\(try cursor.stringsIfArray() as Any)")
        #expect(try cursor.nextElement())
        seen.append("\(try cursor.stringsIfArray() as Any)")
        #expect(try cursor.nextElement())
        seen.append("\(try cursor.stringIfString() as Any)")
        #expect(try !cursor.nextElement())
        try cursor.expectEnd()
        #expect(seen == ["Optional(\"s\")", "nil", "nil", "Optional(4.5)", "Optional([\"a\", \"b\"])", "nil", "nil"])
    }
}

@Suite(.timeLimit(.minutes(2))) struct PreviousBuildTests {
    static var goldenIndex: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/index.json")
    }

    /// What the explainer needs from one row, read from the whole parsed tree: the reference the
    /// field-by-field reader is held to.
    func fromTree(_ row: JSONValue) -> PreviousJob {
        PreviousJob(
            key: row["key"]?.stringValue, status: row["status"]?.stringValue ?? "unknown", error: row["error"]?.stringValue,
            prompt: row["prompt"]?.stringValue ?? "", dialect: row["dialect"]?.stringValue ?? "", model: row["model"]?.stringValue ?? "",
            aspectRatio: row["aspectRatio"]?.stringValue ?? "", imageSize: row["imageSize"]?.stringValue,
            requestedFormat: row["requestedFormat"]?.stringValue, variant: row["variant"]?.numberValue.flatMap { Int(exactly: $0) },
            take: row["take"]?.numberValue.flatMap { Int(exactly: $0) },
            references: (row["references"]?.arrayValue ?? []).compactMap(\.stringValue),
            referenceHashes: row["referenceHashes"]?.arrayValue?.compactMap(\.stringValue),
            upstreamOutputHash: row["upstreamOutputHash"]?.stringValue, file: row["file"]?.stringValue)
    }

    func check(_ data: Data) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("previous-\(UUID().uuidString).json")
        try data.write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let tree = try JSONParser.parse(data)
        let rows = tree["jobs"]!.arrayValue!
        let previous = try #require(PreviousBuild.read(path.path))
        #expect(previous.order == rows.compactMap { $0["id"]?.stringValue })
        var expected: [String: PreviousJob] = [:]  // a repeated id: the last row counts
        for row in rows {
            if let id = row["id"]?.stringValue { expected[id] = fromTree(row) }
        }
        #expect(previous.jobs == expected)
        var rest = tree.objectValue!
        rest["jobs"] = nil
        #expect(previous.raw == .object(rest))
        #expect(previous.generatedAt == tree["generatedAt"]?.stringValue)
    }

    /// The golden index has escaped prompts, failures with errors, references and chained steps.
    @Test func goldenIndexReadsAsTheTreeSaysItShould() throws {
        let data = try Data(contentsOf: Self.goldenIndex)
        #expect(try JSONParser.parse(data)["jobs"]?.arrayValue?.count == 12)
        try check(data)
    }

    /// Hand-edited rows: other key orders, nulls, wrong types, unknown keys, a row without an id.
    @Test func oddRowsReadAsTheTreeSaysTheyShould() throws {
        let text = #"""
            {"totals": {"wallSeconds": 2}, "jobs": [
              {"prompt": "p\"q\\", "id": "b", "variant": 2.5, "references": ["r", 3, null], "extra": {"deep": [1, {"x": null}]}},
              {"id": "a", "status": null, "key": 7, "referenceHashes": "not an array", "variant": 3, "upstreamOutputHash": "h"},
              {"status": "made"},
              "not a row",
              {"id": "a", "prompt": "twice"}
            ], "diff": {"new": []}, "generatedAt": "2026-01-01T00:00:00Z"}
            """#
        try check(Data(text.utf8))
    }

    /// What `report` keeps of the previous build besides its rows: its diff and its wall time.
    @Test func theRecordedDiffAndWallTimeAreReadFromTheHeader() throws {
        let text = #"""
            {"totals": {"wallSeconds": 2.5}, "jobs": [], "diff": {"previousBuild": "t0", "new": ["n"], "madeAgain": [{"id": "m", "reason": "r"}],
             "unchanged": 4, "removed": ["x"]}}
            """#
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("previous-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let previous = try #require(PreviousBuild.read(path.path))
        #expect(previous.recordedWallSeconds == 2.5)
        let diff = try #require(previous.recordedDiff)
        #expect(diff.previousBuild == "t0" && diff.new == ["n"] && diff.madeAgain == [BuildDiff.Remade(id: "m", reason: "r")])
        #expect(diff.unchanged == 4 && diff.removed == ["x"])
        // A diff that is not one (fields missing) and no totals: neither is known.
        try Data(#"{"jobs": [], "diff": {"new": []}}"#.utf8).write(to: path)
        let bare = try #require(PreviousBuild.read(path.path))
        #expect(bare.recordedDiff == nil)
        #expect(bare.recordedWallSeconds == nil)
    }

    @Test(arguments: [#"{"jobs": [], "jobs": []}"#, #"{"jobs": [{"id": "a"}"#, #"{"generatedAt": "x"}"#, #"{"jobs": {}}"#, "[]", ""])
    func anIndexThatIsNotOneGivesNoPreviousBuild(_ text: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("previous-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        #expect(PreviousBuild.read(path.path) == nil)
    }
}
