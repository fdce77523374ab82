import Foundation
import Testing
@testable import NanobatchCore

/// index.json's rows are written by hand for speed; they must say exactly what JSONEncoder would.
@Suite struct IndexWriterTests {
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

    @Test func rowsWrittenByHandMatchJSONEncoderForEveryField() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = try workspace.write("m.json", baseManifest(extra: #", "steps": [ { "id": "night", "from": "hero", "prompt": "At night" } ]"#))
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
        row.skippedForBudget = true
        row.upstreamOutputHash = String(repeating: "ab", count: 32)
        row.change = "made again"
        row.changeReason = "prompt changed"
        row.actualCost = 0.0391
        row.estimatedCost = 1e-7
        row.durationSeconds = 12345.678
        row.references = []
        for child in Mirror(reflecting: row).children {
            if case Optional<Any>.none = child.value as Any? { continue }
            let text = String(describing: child.value)
            #expect(text != "nil", "field \(child.label ?? "?") is not set, so this test would not see it written")
        }
        report.jobs[0] = row
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let reference = try JSONParser.parse(try encoder.encode(report))
        let ours = try JSONParser.parse(try report.encoded())
        let same = canonical(ours) == canonical(reference)
        let oursRow = ours["jobs"]?.arrayValue?.first?.objectValue, referenceRow = reference["jobs"]?.arrayValue?.first?.objectValue
        let differing = Set((oursRow?.keys ?? []) + (referenceRow?.keys ?? [])).filter { oursRow?[$0] != referenceRow?[$0] }
        #expect(same, "written differently from JSONEncoder; first row differs in \(differing.sorted())")
        #expect(keysAreSorted(ours))
        // And it reads back into the same report.
        let decoded = try JSONDecoder().decode(IndexReport.self, from: try report.encoded())
        let roundTrip = canonical(try JSONParser.parse(try encoder.encode(decoded))) == canonical(reference)
        #expect(roundTrip, "reads back into a different report")
        #expect(report.jobs.count > 4)
    }

    @Test func anEmptyBuildIsStillAnObjectWithAnEmptyJobList() throws {
        let text = """
        {"formatVersion":1,"manifest":"m","generatedAt":"t","totals":{"jobs":0,"made":0,"cached":0,"failed":0,"skipped":0,
         "estimatedCost":0,"unknownPriceJobs":0,"actualCost":{},"attempts":0,"wallSeconds":0,"resumedTasks":0,"skippedForBudget":0,"unresolvedSubmissions":0},"jobs":[]}
        """
        let report = try JSONDecoder().decode(IndexReport.self, from: Data(text.utf8))
        let value = try JSONParser.parse(try report.encoded())
        #expect(value["jobs"]?.arrayValue?.isEmpty == true)
        #expect(value["manifest"]?.stringValue == "m")
    }
}
