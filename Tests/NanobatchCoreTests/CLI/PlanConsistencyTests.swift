import Foundation
import Testing

@testable import NanobatchCore

/// `plan` adds up: the header's counts are the table's total, in text and in `--json`, with cached,
/// chained (blocked) and identical jobs over two providers.
@Suite(.timeLimit(.minutes(1))) struct PlanConsistencyTests {
    static func manifest(hero: String, twin: Bool) -> String {
        let twinPrompt = twin ? #", { "id": "twin", "text": "\#(hero)" }"# : ""
        return baseManifest(
            providers: #"{ "a": { "dialect": "offline" }, "b": { "dialect": "offline" } }"#,
            prompts: #"[ { "id": "hero", "text": "\#(hero)" }, { "id": "shelf", "text": "A shelf of cubes" }\#(twinPrompt) ]"#,
            models: #"["a:nano-banana-2", "b:gemini-3-pro-image"]"#, references: "[[]]",
            extra: #", "pricing": { "a:nano-banana-2": 0.045 }, "steps": [ { "id": "night", "from": "hero", "prompt": "At night" } ]"#)
    }

    /// Built once; then hero's text changes (to make, and its step waits for it) and twin repeats it.
    static func prepare() async throws -> (TestWorkspace, String) {
        let workspace = try TestWorkspace()
        let path = try workspace.write("m.json", manifest(hero: "A red cube", twin: false))
        let first = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(first.status == 0, "\(first.err)")
        try workspace.write("m.json", manifest(hero: "A blue cube", twin: true))
        return (workspace, path)
    }

    @Test func theHeaderIsTheSumOfTheTable() async throws {
        let (workspace, path) = try await Self.prepare()
        let plan = await runCLI(["plan", path, "--output", workspace.outputRoot.path])
        #expect(plan.status == 0, "\(plan.err)")
        let lines = plan.out.split(separator: "\n").map(String.init)
        let header = try #require(
            lines.first?.firstMatch(of: /(\d+) jobs — (\d+) cached, (\d+) to make \((\d+) after their upstream jobs\), (\d+) identical/),
            "\(plan.out)")
        let counted = [Int(header.1)!, Int(header.2)!, Int(header.3)!, Int(header.5)!]
        #expect(counted == [16, 4, 8, 4], "\(plan.out)")
        #expect(Int(header.4) == 4)
        let columns = lines.filter { $0.hasPrefix("a ") || $0.hasPrefix("b ") }
            .map { $0.split(separator: " ").compactMap { Int($0) } }
        #expect(columns.count == 2, "\(plan.out)")
        try #require(columns.allSatisfy { $0.count >= 4 }, "jobs, cached, to make and identical columns: \(plan.out)")
        let sums = (0..<4).map { column in columns.map { $0[column] }.reduce(0, +) }
        #expect(sums == counted, "jobs, cached, to make, identical: \(plan.out)")
        let total = try #require(lines.first { $0.hasPrefix("total ") }).split(separator: " ").compactMap { Int($0) }
        #expect(total == counted, "\(plan.out)")
        for row in columns { #expect(row[0] == row[1] + row[2] + row[3], "each line adds up: \(row)") }
    }

    @Test func theJSONAddsUpAndItsListsShareOneShape() async throws {
        let (workspace, path) = try await Self.prepare()
        let plan = await runCLI(["plan", path, "--output", workspace.outputRoot.path, "--json"])
        #expect(plan.status == 0, "\(plan.err)")
        let summary = try JSONParser.parse(plan.out)
        func number(_ value: JSONValue?, _ key: String) -> Double { value?[key]?.numberValue ?? -1 }
        let counts = ["jobs", "cached", "toMake", "duplicates"]
        #expect(counts.map { number(summary, $0) } == [16, 4, 8, 4])
        #expect(number(summary, "blockedByUpstream") == 4)
        let byModel = try #require(summary["byModel"]?.arrayValue)
        let byProvider = try #require(summary["byProvider"]?.arrayValue, "an array, as byModel")
        for (name, lines) in [("byModel", byModel), ("byProvider", byProvider)] {
            for key in counts + ["unknownPriceJobs"] {
                #expect(lines.map { number($0, key) }.reduce(0, +) == number(summary, key), "\(name).\(key)")
            }
            #expect(abs(lines.map { number($0, "estimatedCost") }.reduce(0, +) - number(summary, "estimatedCost")) < 1e-9)
            for line in lines {
                #expect(number(line, "jobs") == number(line, "cached") + number(line, "toMake") + number(line, "duplicates"))
            }
        }
        let modelKeys = Set(byModel.first?.objectValue?.keys ?? [])
        let providerKeys = Set(byProvider.first?.objectValue?.keys ?? [])
        #expect(providerKeys.isSubset(of: modelKeys) && modelKeys.subtracting(providerKeys).isSubset(of: ["model", "unitPrice"]))
        #expect(byProvider.compactMap { $0["provider"]?.stringValue } == ["a", "b"])
        #expect(number(summary, "estimatedCost") == 0.18, "4 jobs at $0.045 to make on a (b's offline jobs are free)")
    }

    /// "1 job", never "1 jobs"; "1 after its upstream job".
    @Test func singularCountsReadAsEnglish() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write(
            "m.json",
            baseManifest(
                prompts: #"[ { "id": "hero", "text": "A red cube" } ]"#, ratios: #"["1:1"]"#, references: "[[]]",
                extra: #", "steps": [ { "id": "night", "from": "hero", "prompt": "At night" } ]"#))
        let plan = await runCLI(["plan", path, "--output", workspace.outputRoot.path])
        #expect(plan.out.hasPrefix("Plan for test: 2 jobs — 0 cached, 2 to make (1 after its upstream job)\n"), "\(plan.out)")
    }
}
