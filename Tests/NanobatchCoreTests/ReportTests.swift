import Foundation
import Testing

@testable import NanobatchCore

/// A line diff (LCS) for golden-file mismatches: `-` expected, `+` actual, with two lines of context.
func lineDiff(expected: String, actual: String) -> String {
    let a = expected.components(separatedBy: "\n")
    let b = actual.components(separatedBy: "\n")
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
        for j in stride(from: b.count - 1, through: 0, by: -1) {
            table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
        }
    }
    var lines: [(Character, String)] = []
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
        if i < a.count, j < b.count, a[i] == b[j] {
            lines.append((" ", a[i]))
            i += 1
            j += 1
        } else if j < b.count, i == a.count || table[i][j + 1] >= table[i + 1][j] {
            lines.append(("+", b[j]))
            j += 1
        } else {
            lines.append(("-", a[i]))
            i += 1
        }
    }
    var out: [String] = []
    for (index, line) in lines.enumerated()
    where line.0 != " " || lines[max(0, index - 2)...min(lines.count - 1, index + 2)].contains(where: { $0.0 != " " }) {
        out.append("\(line.0) \(line.1)")
    }
    return out.joined(separator: "\n")
}

/// Compares `actual` with a golden file under Tests/NanobatchCoreTests/Golden. With
/// NANOBATCH_RECORD_GOLDEN=1 the file is rewritten and the test fails, so a re-recording is never silent.
func expectGolden(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["NANOBATCH_RECORD_GOLDEN"] == "1" {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(actual.utf8).write(to: url)
        Issue.record("re-recorded \(name); run the tests again without NANOBATCH_RECORD_GOLDEN", sourceLocation: sourceLocation)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    if expected != actual {
        Issue.record(
            "\(name) differs from its golden file (- golden, + now):\n\(lineDiff(expected: expected, actual: actual))",
            sourceLocation: sourceLocation)
    }
}

extension JSONValue {
    /// Indented JSON text (two spaces), keys in their stored order, as index.json is written.
    func serialized(pretty: Bool) -> String {
        guard pretty else { return serialized() }
        var out = TextBuffer()
        writePretty(to: &out, indent: "")
        return out.string
    }
}

/// Volatile fields (times) replaced by fixed values, so a report can be compared with a golden file.
func normalised(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let object):
        var copy = object
        for key in object.keys {
            switch key {
            case "generatedAt", "previousBuild": copy[key] = "<time>"
            case "wallSeconds", "durationSeconds": copy[key] = 0
            default: copy[key] = normalised(object[key] ?? .null)
            }
        }
        return .object(copy)
    case .array(let items): return .array(items.map(normalised))
    default: return value
    }
}

/// The example manifest and its reference files, copied into a workspace.
func exampleWorkspace() throws -> (TestWorkspace, String) {
    let workspace = try TestWorkspace()
    let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../manifests")
        .standardizedFileURL
    let path = try workspace.write("example.json", String(contentsOf: manifests.appendingPathComponent("example.json"), encoding: .utf8))
    for name in try FileManager.default.contentsOfDirectory(atPath: manifests.appendingPathComponent("refs").path) {
        try workspace.write("refs/\(name)", data: Data(contentsOf: manifests.appendingPathComponent("refs/\(name)")))
    }
    return (workspace, path)
}

func run(_ path: String, _ workspace: TestWorkspace, _ command: String = "run", _ extra: [String] = []) async -> CLIResult {
    await runCLI([command, path, "--output", workspace.outputRoot.path] + (command == "run" ? ["--quiet"] : []) + extra)
}

/// Serialized: each test renders the example's 1K images several times.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ReportTests {
    @Test func indexJSONAndCSVMatchTheirGoldenFiles() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "golden-ref"))
        let json = baseManifest(
            prompts: #"[ { "id": "hero", "text": "A red cube" }, { "id": "shelf", "text": "A shelf, with \"quotes\", commas [fail]" } ]"#,
            extra:
                #", "steps": [ { "id": "night", "from": "hero", "prompt": "Same, at night" } ], "pricing": { "local:nano-banana-2": 0.045 }"#
        )
        let path = try workspace.write("m.json", json)
        let result = await runCLI(["run", path, "--output", workspace.outputRoot.path, "--quiet"]) { config in
            FailingProvider(inner: OfflineProvider(), marker: "[fail]")
        }
        #expect(result.status == 1)
        let index = try readIndex(workspace, manifest: "test")
        try expectGolden("index.json", normalised(index).serialized(pretty: true) + "\n")
        // The file's own bytes, too, with the same values made stable.
        let text = try String(contentsOf: workspace.outputRoot.appendingPathComponent("test/index.json"), encoding: .utf8)
        let stableText =
            text
            .replacingOccurrences(of: #""(generatedAt|previousBuild)": "[^"]*""#, with: #""$1": "<time>""#, options: .regularExpression)
            .replacingOccurrences(of: #""(wallSeconds|durationSeconds)": [0-9.e+-]+"#, with: #""$1": 0"#, options: .regularExpression)
        try expectGolden("index.json", stableText + "\n")
        let csv = try String(contentsOf: workspace.outputRoot.appendingPathComponent("test/index.csv"), encoding: .utf8)
        let stableCSV = csv.replacingOccurrences(of: #",[0-9]+\.[0-9]{3},"#, with: ",0.000,", options: .regularExpression)
        try expectGolden("index.csv", stableCSV)
    }

    @Test func changingOnePromptRemakesExactlyItsJobsAndExplainSaidSoFirst() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        let first = try readIndex(workspace, manifest: "example")
        #expect(first["diff"] == nil)
        // A second run: everything unchanged.
        #expect(await run(path, workspace).status == 0)
        let second = try readIndex(workspace, manifest: "example")
        #expect(second["diff"]?["unchanged"]?.numberValue == Double(first.jobRows.count))

        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "soft daylight", with: "soft evening light").write(
            toFile: path, atomically: true, encoding: .utf8)
        let heroJobs = Set(first.jobRows.filter { $0["promptID"]?.stringValue == "hero" }.compactMap { $0["id"]?.stringValue })
        #expect(heroJobs.count == 12, "8 hero jobs and the 4 chained from them")

        let explained = await run(path, workspace, "explain", ["--json"])
        #expect(explained.status == 0)
        let explanations = try JSONParser.parse(explained.out).arrayValue ?? []
        #expect(Set(explanations.compactMap { $0["job"]?.stringValue }) == heroJobs)
        for explanation in explanations {
            let job = explanation["job"]?.stringValue ?? ""
            let reasons = explanation["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(reasons == [job.hasPrefix("hero-night/") ? "upstream output changed" : "prompt changed"], "\(job): \(reasons)")
        }

        #expect(await run(path, workspace).status == 0)
        let third = try readIndex(workspace, manifest: "example")
        let remade = third["diff"]?["madeAgain"]?.arrayValue ?? []
        #expect(Set(remade.compactMap { $0["id"]?.stringValue }) == heroJobs)
        #expect(remade.allSatisfy { ($0["reason"]?.stringValue ?? "").contains("changed") })
        #expect(third["diff"]?["unchanged"]?.numberValue == Double(first.jobRows.count - heroJobs.count))
        for row in third.jobRows {
            let id = row["id"]?.stringValue ?? ""
            #expect(row["status"]?.stringValue == (heroJobs.contains(id) ? "made" : "cached"))
            #expect(row["change"]?.stringValue == (heroJobs.contains(id) ? "made again" : "unchanged"))
        }
        let page = try String(contentsOf: workspace.outputRoot.appendingPathComponent("example/index.html"), encoding: .utf8)
        #expect(page.contains("12 made again"))
        // Said once, for the group, after the fact (ContactSheetTests has more).
        #expect(page.components(separatedBy: "made again: the prompt had changed").count - 1 == 1)
    }

    @Test func explainNamesReferenceBytesAndBrokenEntries() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        try smallPNG(seed: "a different product").write(to: workspace.url.appendingPathComponent("refs/product.png"))
        let explained = await run(path, workspace, "explain")
        #expect(explained.out.contains("a reference's bytes changed: refs/product.png"), "\(explained.out)")
        #expect(await run(path, workspace).status == 0)

        // Damage one stored image: its job is explained as an entry that failed its check.
        let index = try readIndex(workspace, manifest: "example")
        let row = try #require(index.jobRows.first { $0["step"] == nil })
        let blob = workspace.outputRoot.appendingPathComponent(try #require(row["storePath"]?.stringValue))
        let bytes = try Data(contentsOf: blob)
        try bytes.prefix(bytes.count / 2).write(to: blob)
        let again = await run(path, workspace, "explain", [try #require(row["id"]?.stringValue)])
        #expect(again.out.contains("entry failed its check"), "\(again.out)")
        let unknown = await run(path, workspace, "explain", ["no-such-job"])
        #expect(unknown.status == 2 && unknown.err.contains("no job \"no-such-job\""))
    }

    @Test func reportRebuildsTheIndexAndPageFromTheStore() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        let folder = workspace.outputRoot.appendingPathComponent("example")
        let before = try readIndex(workspace, manifest: "example")
        for name in ["index.json", "index.html", "index.csv"] {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let result = await run(path, workspace, "report")
        #expect(result.status == 0, "\(result.err)")
        let after = try readIndex(workspace, manifest: "example")
        #expect(after.jobRows.count == before.jobRows.count)
        #expect(Set(statuses(after).values) == ["cached"])
        #expect(after.jobRows.map { $0["file"] } == before.jobRows.map { $0["file"] })
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.html").path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.csv").path))
    }

    @Test func cleanListsThenDeletesOnlyWhatNoManifestUses() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        // A second manifest under the same root shares the "banner" prompt's images.
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let other = try workspace.write("other.json", original.replacingOccurrences(of: #""name": "example""#, with: #""name": "other""#))
        #expect(await run(other, workspace).status == 0)
        #expect(try readIndex(workspace, manifest: "other").jobRows.allSatisfy { $0["status"]?.stringValue == "cached" })
        try original.replacingOccurrences(of: "soft daylight", with: "soft evening light").write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(await run(path, workspace).status == 0)
        // The old hero images are still used by "other": nothing of the store may go.
        let listed = await run(path, workspace, "clean")
        #expect(listed.out.contains("kept 12 store entries other manifests"), "\(listed.out)")
        #expect(!listed.out.contains(".nanobatch/store"), "\(listed.out)")

        // Drop a prompt from this manifest: its friendly files no longer belong.
        let withoutBanner = try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8))
        var object = try #require(withoutBanner.objectValue)
        var matrix = try #require(object["matrix"]?.objectValue)
        matrix["prompts"] = .array(Array((matrix["prompts"]?.arrayValue ?? []).prefix(1)))
        object["matrix"] = .object(matrix)
        try JSONValue.object(object).serialized().write(toFile: path, atomically: true, encoding: .utf8)
        let storeBefore = ContentStoreCounter.count(workspace)
        let dryRun = await run(path, workspace, "clean")
        #expect(dryRun.out.contains("would remove example/banner/"), "\(dryRun.out)")
        #expect(dryRun.out.contains("run again with --yes"))
        #expect(ContentStoreCounter.count(workspace) == storeBefore, "a dry run deletes nothing")
        let bannerFolder = workspace.outputRoot.appendingPathComponent("example/banner").path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bannerFolder)) ?? []).count == 4)

        let deleted = await run(path, workspace, "clean", ["--yes"])
        #expect(deleted.status == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bannerFolder)) ?? []).isEmpty)
        // "other" is still complete: a rerun makes nothing.
        #expect(await run(other, workspace).status == 0)
        #expect(try readIndex(workspace, manifest: "other").jobRows.allSatisfy { $0["status"]?.stringValue == "cached" })
        // Without "other", its images go too.
        try FileManager.default.removeItem(at: workspace.outputRoot.appendingPathComponent("other"))
        let last = await run(path, workspace, "clean", ["--yes"])
        #expect(last.out.contains("removed .nanobatch/store/"), "\(last.out)")
        #expect(ContentStoreCounter.count(workspace) < storeBefore)
        #expect(await run(path, workspace).status == 0)
        #expect(try readIndex(workspace, manifest: "example").jobRows.allSatisfy { $0["status"]?.stringValue == "cached" })
    }

    @Test func csvQuotesAndDefusesFormulas() {
        #expect(CSVReport.quote("plain") == "plain")
        #expect(CSVReport.quote("a, b") == "\"a, b\"")
        #expect(CSVReport.quote("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVReport.quote("two\nlines") == "\"two\nlines\"")
        #expect(CSVReport.quote("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVReport.quote("-0.5") == "-0.5")
    }

    @Test func pageEscapesWhatItShows() {
        #expect(
            HTMLReport.escape("<img src=x onerror=alert(1)> & \"q\" 'a'")
                == "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot; &#39;a&#39;")
    }
}

enum ContentStoreCounter {
    static func count(_ workspace: TestWorkspace) -> Int {
        let store = workspace.outputRoot.appendingPathComponent(".nanobatch/store")
        return ((try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? []).reduce(0) {
            $0 + ((try? FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent($1).path)) ?? []).count
        }
    }
}
