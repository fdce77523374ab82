import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// `maxCost` as a hard cap, end to end: the real CLI against the loopback Gemini fake, whose
/// `usageMetadata` decides each job's actual cost.
@Suite(.timeLimit(.minutes(1))) struct BudgetCapTests {
    static let prompts = (1...4).map { ("p\($0)", "Cube number \($0)") }

    /// A Gemini answer with one image and the given `usageMetadata` (JSON text).
    static func answer(_ fake: FakeAPI, usage: String) -> ServerReply {
        let data = fake.imageBytes(ratio: "16:9").base64EncodedString()
        return .json(
            #"{"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"image/png","data":"\#(data)"}}]},"finishReason":"STOP","index":0}],"usageMetadata":\#(usage)}"#
        )
    }

    /// Runs `prompts` on `model` with a budget; every answer carries `usage` when given.
    static func run(
        model: String, maxCost: Double?, concurrency: Int, usage: String? = nil, workspace: TestWorkspace
    ) async throws -> (CLIResult, JSONValue) {
        let fake = try DialectFakes.gemini()
        if let usage { fake.injectFaults { fake, _ in answer(fake, usage: usage) } }
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: [model], prompts: prompts, providerExtra: #", "concurrency": \#(concurrency)"#,
            extra: maxCost.map { #", "budget": { "maxCost": \#($0) }"# } ?? "")
        let result = try await runAgainst(fake, manifest, in: workspace)
        return (result, try readIndex(workspace, manifest: "api-test"))
    }

    static func made(_ index: JSONValue) -> [JSONValue] { index.jobRows.filter { $0["status"] == "made" } }

    /// The fake reports 1000 prompt + 1290 image + 10 text tokens: $0.15692 an image against a list price of $0.134.
    /// Each job holds $0.201 (1.5 × $0.134) until its cost is known, so $0.536 and $0.60 both make
    /// three (before, $0.60 made four for $0.628: at concurrency 1 the next job started before the last one's cost counted).
    @Test(arguments: [(1, 0.536, 3), (4, 0.536, 3), (1, 0.60, 3), (4, 0.60, 3)])
    func usageAboveTheEstimateNeverTakesTheRunOverTheBudget(concurrency: Int, maxCost: Double, made: Int) async throws {
        let workspace = try TestWorkspace()
        let (result, index) = try await Self.run(
            model: "gemini-3-pro-image", maxCost: maxCost, concurrency: concurrency, workspace: workspace)
        let spent = Self.made(index).compactMap { $0["actualCost"]?.numberValue }.reduce(0, +)
        #expect(spent <= maxCost, "spent \(spent) of \(maxCost)")
        #expect(Self.made(index).count == made)
        #expect(index["skippedForBudget"]?.arrayValue?.count == 4 - made)
        #expect(index["budgetSpent"]?.numberValue.map { abs($0 - spent) < 1e-9 } == true)
        #expect(result.status == ExitCode.overBudget.rawValue)
        #expect(result.err.contains("budget: \(Money.format(spent)) of \(Money.format(maxCost)) counted\n"))
    }

    @Test func aGatewayReportingAbsurdUsageIsCountedAtTheReservation() async throws {
        let workspace = try TestWorkspace()
        // 15 million image tokens × $60/M: $900 an image, were it believed.
        let usage = #"{"promptTokenCount":10,"candidatesTokenCount":15000000}"#
        let (result, index) = try await Self.run(
            model: "gemini-3.1-flash-image", maxCost: 0.31, concurrency: 1, usage: usage, workspace: workspace)
        let made = Self.made(index)
        #expect(made.count == 3, "each counted at its reservation of $0.1005 (1.5 × $0.067)")
        #expect(made.allSatisfy { $0["actualCost"] == nil })
        #expect(
            made.allSatisfy { row in
                row["notes"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("reported cost $900.00 rejected") == true } == true
            })
        let budgetSpent = try #require(index["budgetSpent"]?.numberValue)
        #expect(budgetSpent <= 0.31 && abs(budgetSpent - 3 * 0.1005) < 1e-9)
        #expect(index["totals"]?["actualCost"]?["USD"]?.numberValue ?? 0 < 1)
        #expect(result.status == ExitCode.overBudget.rawValue)
    }

    /// A believable cost above the reservation is counted as reported; the run then says it went over (exit 3).
    @Test func aChargeAboveTheReservationIsCountedAndReported() async throws {
        let workspace = try TestWorkspace()
        let fake = try DialectFakes.gemini()
        // 3000 image tokens × $60/M = $0.18 against a reservation of $0.1005 (1.5 × $0.067).
        fake.injectFaults { fake, _ in Self.answer(fake, usage: #"{"promptTokenCount":0,"candidatesTokenCount":3000}"#) }
        let manifest = apiManifest(
            dialect: "gemini", fake: fake, models: ["gemini-3.1-flash-image"], extra: #", "budget": { "maxCost": 0.11 }"#)
        let result = try await runAgainst(fake, manifest, in: workspace)
        let index = try readIndex(workspace, manifest: "api-test")
        #expect(index.jobRows.first?["actualCost"] == .number(0.18))
        #expect(index["budgetSpent"] == .number(0.18))
        #expect(result.err.contains("budget: $0.18 of $0.11 counted — over the budget"))
        #expect(result.status == ExitCode.overBudget.rawValue)
    }

    @Test(arguments: [
        #"{"promptTokenCount":1e308,"candidatesTokenCount":1e308}"#, #"{"promptTokenCount":10,"candidatesTokenCount":-5000000}"#,
    ])
    func overflowingOrNegativeUsageStillLeavesAValidReport(usage: String) async throws {
        let workspace = try TestWorkspace()
        let (result, index) = try await Self.run(
            model: "gemini-3-pro-image", maxCost: nil, concurrency: 2, usage: usage, workspace: workspace)
        #expect(result.status == 0)
        #expect(Self.made(index).count == 4)
        #expect(Self.made(index).allSatisfy { $0["actualCost"] == nil })
        let total = index["totals"]?["actualCost"]?["USD"]?.numberValue ?? 0
        #expect(total >= 0 && total.isFinite)
        #expect(result.err.contains("spent $0.00"))
        let csv = try String(contentsOf: workspace.outputRoot.appendingPathComponent("api-test/index.csv"), encoding: .utf8)
        #expect(!csv.contains("inf") && !csv.contains("nan"))
    }

    /// Whatever numbers reach a report, its three files stay valid and say nothing like "inf" or "nan".
    @Test func reportsWriteNonFiniteNumbersAsAbsent() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        #expect(await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]).status == 0)
        let written = try Data(contentsOf: workspace.outputRoot.appendingPathComponent("test/index.json"))
        var report = try JSONDecoder().decode(IndexReport.self, from: written)
        report.jobs[0].actualCost = .infinity
        report.jobs[0].costUnit = "credits"
        report.jobs[1].actualCost = -.infinity
        report.jobs[1].estimatedCost = .nan
        report.totals.actualCost = ["USD": .infinity, "credits": .nan]
        report.budget = 1
        report.budgetSpent = .nan
        let json = try JSONParser.parse(report.encodedText().data)
        #expect(json["budgetSpent"] == .null && json.jobRows[0]["actualCost"] == .null)
        for file in [CSVReport.renderBytes(report).string, HTMLReport.renderBytes(report).string] {
            let text = file.replacingOccurrences(of: "nano-banana", with: "model").replacingOccurrences(of: "nanobatch", with: "tool")
                .lowercased()
            #expect(!text.contains("inf") && !text.contains("nan"))
        }
    }
}
