import Foundation
import SocketHTTP
import Testing

@testable import NanobatchCore

/// What `run` prints on a terminal: one progress line cut to the width and redrawn in place, cleared
/// before anything else; failures once, as they happen; the total time last.
@Suite(.timeLimit(.minutes(2))) struct RunProgressOutputTests {
    static let clearLine = "\r\u{1B}[K"

    @Test func theLineIsCutToTheWidthAndRedrawnInPlace() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        let result = await runOnTerminal(["run", manifest, "--output", workspace.outputRoot.path], width: 40)
        #expect(result.status == 0, "\(result.err)")
        let draws = statusDraws(result.err)
        #expect(!draws.isEmpty, "\(result.err.debugDescription)")
        for draw in draws {
            #expect(draw.count <= 39 && !draw.contains("\n"), "\(draw.debugDescription)")
        }
        #expect(draws.contains { $0.hasPrefix("[0/4] ") && $0.hasSuffix("…") }, "\(draws)")
        // The summary starts on a cleared line, never after a progress line.
        #expect(result.err.contains(Self.clearLine + "test: 4 made"), "\(result.err.debugDescription)")
    }

    @Test func slowJobsStillMoveTheLineWithEveryField() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "m.json",
            baseManifest(
                providers: #"{ "local": { "dialect": "offline", "concurrency": 1, "latencyMs": 1500 } }"#,
                ratios: #"["1:1"]"#, references: "[[]]"))
        let result = await runOnTerminal(["run", manifest, "--output", workspace.outputRoot.path], width: 200)
        #expect(result.status == 0, "\(result.err)")
        let draws = statusDraws(result.err)
        // Redrawn by the timer while the first job is out: no job finishes, yet the elapsed time moves.
        #expect(draws.first == "[0/2] 1 in flight, 0 failed · spent $0.00 · elapsed 0:00:00", "\(draws)")
        // (At least one more second, whenever the timer got to run: a loaded machine may stall it.)
        let waitingTimes = Set(draws.filter { $0.hasPrefix("[0/2] 1 in flight, 0 failed · spent $0.00 · elapsed ") })
        #expect(waitingTimes.count >= 2, "\(draws)")
        // Once a job is done, the time left, as h:mm:ss.
        let eta = try Regex(#"^\[1/2\] 1 in flight, 0 failed · spent \$0\.00 · elapsed \d:\d\d:\d\d · ETA \d:\d\d:\d\d$"#)
        #expect(draws.contains { $0.wholeMatch(of: eta) != nil }, "\(draws)")
    }

    @Test func eachFailureIsPrintedOnceAsItHappensThenCounted() async throws {
        let workspace = try TestWorkspace()
        let prompts = (1...25).map { #"{ "id": "bad\#($0)", "text": "Broken [fail] \#($0)" }"# } + [#"{ "id": "good", "text": "A cube" }"#]
        let manifest = try workspace.write(
            "m.json", baseManifest(prompts: "[" + prompts.joined(separator: ", ") + "]", ratios: #"["1:1"]"#, references: "[[]]"))
        let result = await runOnTerminal(["run", manifest, "--output", workspace.outputRoot.path], width: 100) { _ in
            FailingProvider(inner: OfflineProvider(), marker: "[fail]")
        }
        #expect(result.status == 1)
        let failureLines = lines(result.err).filter { $0.hasPrefix("failed bad") }
        #expect(failureLines.count == 20, "\(result.err.debugDescription)")
        #expect(failureLines.allSatisfy { $0.hasSuffix(": content_policy_violation: refused") }, "\(failureLines)")
        #expect(Set(failureLines).count == 20, "each failure once")
        #expect(lines(result.err).contains("… 5 more failures: see index.json"), "\(result.err)")
        // Never glued to a progress line: each starts a line of its own.
        #expect(result.err.components(separatedBy: "failed bad").dropFirst().count == 20)
        for piece in result.err.components(separatedBy: "failed bad").dropLast() {
            #expect(piece.hasSuffix("\n") || piece.hasSuffix(Self.clearLine), "\(piece.suffix(40).debugDescription)")
        }
        // The summary counts them, before the index lines, and does not list them again.
        let summary = try #require(result.err.range(of: "test: 1 made")).lowerBound
        let tail = String(result.err[summary...])
        #expect(tail.contains("25 jobs failed: each is printed above; every error is in index.json\nindex: "), "\(tail)")
    }

    @Test func quietRunsListTheFirstFailuresBeforeTheIndexLines() async throws {
        let workspace = try TestWorkspace()
        let prompts = (1...22).map { #"{ "id": "bad\#($0)", "text": "Broken [fail] \#($0)" }"# }
        let manifest = try workspace.write(
            "m.json", baseManifest(prompts: "[" + prompts.joined(separator: ", ") + "]", ratios: #"["1:1"]"#, references: "[[]]"))
        let result = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]) { _ in
            FailingProvider(inner: OfflineProvider(), marker: "[fail]")
        }
        #expect(result.status == 1)
        let all = lines(result.err)
        #expect(all.filter { $0.hasPrefix("failed bad") }.count == 20, "\(result.err)")
        let more = try #require(all.firstIndex(of: "… 2 more failures: see index.json"), "\(result.err)")
        let index = try #require(all.firstIndex { $0.hasPrefix("index: ") })
        #expect(more < index, "\(result.err)")
    }

    @Test func aStopClearsTheLineAndTheRunSaysHowLongItTook() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "m.json",
            baseManifest(
                providers: #"{ "local": { "dialect": "offline", "concurrency": 1, "latencyMs": 300 } }"#, references: "[[]]"))
        let stop = StopSignal()
        let console = TerminalCapture(width: 120)
        async let run = runOnTerminal(["run", manifest, "--output", workspace.outputRoot.path], capture: console, stop: stop)
        #expect(try await eventually { console.err.contains("1 in flight") })
        stop.requestStop("interrupted (Ctrl-C)")
        let result = await run
        #expect(result.status == ExitCode.interrupted.rawValue, "\(result.err)")
        #expect(result.err.contains(Self.clearLine + "test: "), "\(result.err.debugDescription)")
        #expect(result.err.contains("\nstopped: interrupted (Ctrl-C); finished images are kept"), "\(result.err.debugDescription)")
        #expect(result.err.wholeMatch(of: try Regex(#"(?s).*\nstopped after \d+\.\ds\n"#)) != nil, "\(result.err.debugDescription)")
    }

    @Test func everyRunEndsWithItsTotalTimeEvenANoOp() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        let finished = try Regex(#"(?s).*\nfinished in \d+\.\ds\n"#)
        for _ in 1...3 {
            let result = await runCLI(["run", manifest, "--output", workspace.outputRoot.path])
            #expect(result.status == 0)
            #expect(result.err.wholeMatch(of: finished) != nil, "\(result.err)")
        }
        let noOp = await runCLI(["run", manifest, "--output", workspace.outputRoot.path])
        #expect(noOp.err.contains("no-op: "), "\(noOp.err)")
    }

    @Test func logsGetPlainLinesWithTheSameFields() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("m.json", baseManifest(references: "[[]]"))
        let result = await runCLI(["run", manifest, "--output", workspace.outputRoot.path])
        #expect(result.status == 0)
        #expect(!result.err.contains("\r") && !result.err.contains("\u{1B}"), "\(result.err.debugDescription)")
        let last = try Regex(#"(?m)^\[4/4\] 0 in flight, 0 failed · spent \$0\.00 · elapsed \d:\d\d:\d\d\ntest: 4 made"#)
        #expect(result.err.contains(last), "\(result.err)")
    }

    @Test func spentKeepsItsUnit() {
        var progress = RunProgress(total: 5, toMake: 5)
        progress.made = 2
        progress.inFlight = 3
        progress.spent = ["USD": 0.12, "credits": 3]
        let line = ProgressPrinter.line(progress, elapsed: 3725)
        #expect(line == "[2/5] 3 in flight, 0 failed · spent \(Money.describe(progress.spent)) · elapsed 1:02:05 · ETA 1:33:08")
        #expect(line.contains(" credits"))
    }

    @Test func timesReadAsClocksAndShortDurations() {
        #expect(ElapsedTime.clock(72.9) == "0:01:12")
        #expect(ElapsedTime.clock(3 * 3600 + 5) == "3:00:05")
        #expect(ElapsedTime.short(0.42) == "0.4s")
        #expect(ElapsedTime.short(12.34) == "12.3s")
        #expect(ElapsedTime.short(72.4) == "1m 12s")
        #expect(ElapsedTime.short(7325) == "2h 2m 5s")
        #expect(Console.fit("[3/12] 4 in flight", width: 10) == "[3/12] 4…")
        #expect(Console.fit("short", width: 10) == "short")
    }

    // MARK: Helpers

    /// The lines drawn in place: the text between each `\r` and the erase-to-end that follows it.
    func statusDraws(_ err: String) -> [String] {
        err.components(separatedBy: "\r").dropFirst().compactMap { piece in
            guard let end = piece.range(of: "\u{1B}[K") else { return nil }
            let line = String(piece[..<end.lowerBound])
            return line.isEmpty ? nil : line
        }
    }

    /// Lines as a reader sees them once every redraw has settled.
    func lines(_ err: String) -> [String] {
        err.components(separatedBy: "\n").map { line in
            String(line.components(separatedBy: "\r").last ?? "").replacingOccurrences(of: "\u{1B}[K", with: "")
        }
    }

    func runOnTerminal(
        _ arguments: [String], width: Int, stop: StopSignal = StopSignal(),
        providerOverride: (@Sendable (ProviderConfig) -> (any ImageProvider)?)? = nil
    ) async -> CLIResult {
        await runOnTerminal(arguments, capture: TerminalCapture(width: width), stop: stop, providerOverride: providerOverride)
    }

    func runOnTerminal(
        _ arguments: [String], capture: TerminalCapture, stop: StopSignal = StopSignal(),
        providerOverride: (@Sendable (ProviderConfig) -> (any ImageProvider)?)? = nil
    ) async -> CLIResult {
        var cli = NanobatchCLI(
            console: capture.console, environment: [:], stop: stop, providerOverride: providerOverride,
            plainHTTP: SocketHTTPTransport())
        cli.progressPace.tick = .milliseconds(20)
        let status = await cli.run(arguments)
        return CLIResult(status: status, out: capture.out, err: capture.err)
    }
}

/// A console that says standard error is a terminal of `width` columns, and keeps what is written.
final class TerminalCapture: Sendable {
    private let text = Locked((out: "", err: ""))
    let width: Int

    init(width: Int) { self.width = width }

    var console: Console {
        Console(
            errorIsTerminal: true, terminalWidth: { [width] in width },
            write: { [text] piece, isError in text.withLock { if isError { $0.err += piece } else { $0.out += piece } } })
    }
    var out: String { text.withLock { $0.out } }
    var err: String { text.withLock { $0.err } }
}
