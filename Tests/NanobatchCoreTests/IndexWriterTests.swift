import Foundation
import Testing

@testable import NanobatchCore

/// index.json is written without JSONEncoder for speed; it must say exactly what JSONEncoder would.
@Suite(.timeLimit(.minutes(2))) struct IndexWriterTests {
    /// Object keys sorted at every level, so two documents compare by content.
    func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.keys.sorted().map { ($0, canonical(object[$0]!)) }))
        case .array(let items): return .array(items.map(canonical))
        default: return value
        }
    }

    func keysAreSorted(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let object): return object.keys == object.keys.sorted() && object.entries.allSatisfy { keysAreSorted($0.value) }
        case .array(let items): return items.allSatisfy(keysAreSorted)
        default: return true
        }
    }

    /// JSONEncoder's output (keys sorted) indented by JSONValue, which keeps the key order: index.json's bytes.
    func referenceText(_ report: IndexReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try JSONParser.parse(try encoder.encode(report)).serialized(pretty: true)
    }

    func expectSameText(_ report: IndexReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = report.encodedText().string
        let reference = try referenceText(report)
        #expect(
            ours == reference,
            "written differently from JSONEncoder (- JSONEncoder, + ours):\n\(lineDiff(expected: reference, actual: ours))",
            sourceLocation: sourceLocation)
    }

    @Test func rowsWrittenByHandMatchJSONEncoderForEveryField() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = try workspace.write(
            "m.json", baseManifest(extra: #", "steps": [ { "id": "night", "from": "hero", "prompt": "At night" } ]"#))
        #expect(await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]).status == 0)
        let written = try Data(contentsOf: workspace.outputRoot.appendingPathComponent("test/index.json"))
        var report = try JSONDecoder().decode(IndexReport.self, from: written)
        // Every optional of one row set, with strings that need escaping and numbers that are not integers.
        var row = try #require(report.jobs.first)
        row.step = "step \"quoted\" \\ back/slash"
        row.prompt = "line\nbreak\ttab \u{01} control, é, 猫, 🍌"
        row.upstream = "hero/x"
        row.error = "HTTP 500: \"server\" said\r\nno"
        row.httpStatus = 500
        row.providerCode = "internal"
        row.rawAnswer = #"{"error":{"message":"x"}}"#
        row.notes = ["first", "second \"note\""]
        row.ratioMismatch = true
        row.resumedTask = "task-1"
        row.batch = "batches/b1"
        row.batchState = "BATCH_STATE_RUNNING"
        row.skippedForBudget = true
        row.upstreamOutputHash = String(repeating: "ab", count: 32)
        row.change = "made again"
        row.changeReason = "prompt changed"
        row.actualCost = 0.0391
        row.estimatedCost = 1e-7
        row.durationSeconds = 12345.678
        row.references = []
        row.previousStorePath = ".nanobatch/store/ab/ab.png"
        row.stepPrompt = "At night, \"lamp\" lit"
        row.take = 3
        row.isPick = true
        row.variables = ["product": "tote \"bag\"", "Season": "winter", "é": "ü"]
        for child in Mirror(reflecting: row).children {
            if case Optional<Any>.none = child.value as Any? { continue }
            let text = String(describing: child.value)
            #expect(text != "nil", "field \(child.label ?? "?") is not set, so this test would not see it written")
        }
        report.jobs[0] = row
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let reference = try JSONParser.parse(try encoder.encode(report))
        let ours = try JSONParser.parse(report.encodedText().data)
        let same = canonical(ours) == canonical(reference)
        let oursRow = ours["jobs"]?.arrayValue?.first?.objectValue
        let referenceRow = reference["jobs"]?.arrayValue?.first?.objectValue
        let differing = Set((oursRow?.keys ?? []) + (referenceRow?.keys ?? [])).filter { oursRow?[$0] != referenceRow?[$0] }
        #expect(same, "written differently from JSONEncoder; first row differs in \(differing.sorted())")
        #expect(keysAreSorted(ours))
        try expectSameText(report)
        // And it reads back into the same report.
        let decoded = try JSONDecoder().decode(IndexReport.self, from: report.encodedText().data)
        let roundTrip = canonical(try JSONParser.parse(try encoder.encode(decoded))) == canonical(reference)
        #expect(roundTrip, "reads back into a different report")
        #expect(report.jobs.count > 4)
    }

    @Test func everyTopLevelFieldIsWrittenAndOrderedAsJSONEncoderWouldWriteIt() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = try workspace.write("m.json", baseManifest())
        #expect(await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]).status == 0)
        let written = try Data(contentsOf: workspace.outputRoot.appendingPathComponent("test/index.json"))
        var report = try JSONDecoder().decode(IndexReport.self, from: written)
        try expectSameText(report)
        // Every optional set; keys whose byte order differs from a case-insensitive or numeric order.
        report.budget = 2.5
        report.stoppedBecause = "stopped: \"Ctrl-C\" \\ twice"
        report.skippedForBudget = ["hero/a", "hero/b"]
        report.rateLimitCuts = ["credits": 1, "USD": 2, "p10": 3, "p9": 4, "Zeta": 5, "alpha": 6, "é": 7]
        report.totals.actualCost = ["credits": 12.5, "USD": 0.0391, "Credits": 1e-7]
        report.totals.unresolvedSubmissions = 1
        report.unresolvedSubmissions = [
            SubmissionJournal.Unresolved(key: "k1", provider: "local", job: "hero/x", submittedAt: "2026-01-01T00:00:00Z")
        ]
        report.diff = try JSONDecoder().decode(
            BuildDiff.self,
            from: Data(
                """
                {"previousBuild": "2026-01-01T00:00:00Z", "new": ["n/1"], "madeAgain": [{"id": "m/1", "reason": "prompt changed: \\"a\\" → \\"b\\""}],
                 "unchanged": 3, "removed": ["r/1", "r/2"]}
                """.utf8))
        try expectSameText(report)
        let value = try JSONParser.parse(report.encodedText().data)
        #expect(value["rateLimitCuts"]?.objectValue?.keys == ["USD", "Zeta", "alpha", "credits", "p10", "p9", "é"])
        #expect(value.at("diff", "madeAgain", 0, "reason")?.stringValue == "prompt changed: \"a\" → \"b\"")
        // Empty lists and maps.
        report.diff = try JSONDecoder().decode(
            BuildDiff.self, from: Data(#"{"new": [], "madeAgain": [], "unchanged": 0, "removed": []}"#.utf8))
        report.totals.actualCost = [:]
        report.rateLimitCuts = [:]
        report.jobs = []
        try expectSameText(report)
    }

    @Test func anEmptyBuildIsStillAnObjectWithAnEmptyJobList() throws {
        let text = """
            {"formatVersion":1,"manifest":"m","generatedAt":"t","totals":{"jobs":0,"made":0,"cached":0,"failed":0,"skipped":0,
             "estimatedCost":0,"unknownPriceJobs":0,"actualCost":{},"attempts":0,"wallSeconds":0,"resumedTasks":0,"skippedForBudget":0,"unresolvedSubmissions":0},"jobs":[]}
            """
        let report = try JSONDecoder().decode(IndexReport.self, from: Data(text.utf8))
        let value = try JSONParser.parse(report.encodedText().data)
        #expect(value["jobs"]?.arrayValue?.isEmpty == true)
        #expect(value["manifest"]?.stringValue == "m")
    }
}
