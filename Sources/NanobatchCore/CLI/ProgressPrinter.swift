import Foundation

/// Prints a run's progress on standard error: on a terminal, one status line redrawn in place (see
/// `Console.showStatus`); otherwise (CI logs) a plain line every few seconds. A timer redraws it
/// while no job finishes, so elapsed time moves. Each failure is printed once, as it happens: the
/// first ones in full, then only counted.
final class ProgressPrinter: Sendable {
    /// How often lines come; tests make the timer fast.
    struct Pace: Sendable {
        /// The timer's period: the line is redrawn at least this often.
        var tick: Duration = .seconds(1)
        /// The shortest time between two redraws on a terminal (many jobs finish at once).
        var terminalInterval: Double = 0.1
        /// The time between two plain lines when standard error is not a terminal.
        var plainInterval: Double = 5
        /// Failures printed in full; later ones are counted in one line at the end.
        var failuresInFull = 20
    }

    private struct State {
        var latest: RunProgress?
        /// Seconds into the run at the last line drawn.
        var lastDraw = -Double.infinity
        var finalLineDrawn = false
        var failuresTold = 0
        var failuresUntold = 0
        var stopped = false
        var timer: Task<Void, Never>?
    }

    private let console: Console
    private let pace: Pace
    /// More to say at the end of the line (the batches' states), read at every redraw.
    private let extra: @Sendable () -> String?
    private let started = ContinuousClock.now
    /// Held while printing, so lines come out in the order they were decided.
    private let state = Locked(State())

    init(console: Console, pace: Pace = Pace(), extra: @escaping @Sendable () -> String? = { nil }) {
        self.console = console
        self.pace = pace
        self.extra = extra
    }

    /// Starts the timer that redraws the line while no job finishes; `finish` stops it.
    func start() {
        let tick = pace.tick
        let timer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                guard let self, !Task.isCancelled else { return }
                self.redraw()
            }
        }
        state.withLock { $0.timer = timer }
    }

    /// New counts from the runner, with the failures since the last ones.
    func update(_ progress: RunProgress) {
        state.withLock { state in
            guard !state.stopped else { return }
            var toldOne = false
            for failure in progress.recentFailures {
                if state.failuresTold < pace.failuresInFull {
                    console.err("failed \(failure.job): \(failure.reason)\n")
                    state.failuresTold += 1
                    toldOne = true
                } else {
                    state.failuresUntold += 1
                }
            }
            state.latest = progress
            draw(&state, force: toldOne || progress.done == progress.total)
        }
    }

    /// Stops the timer, counts the failures not printed and takes the status line away, so what
    /// follows starts on a clean line. Safe to call twice.
    func finish() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            state.timer?.cancel()
            state.timer = nil
            if state.failuresUntold > 0 {
                console.err("… \(Plural.count(state.failuresUntold, "more failure")): see index.json\n")
            }
            console.clearStatus()
        }
    }

    private func redraw() {
        state.withLock { state in
            guard !state.stopped else { return }
            draw(&state, force: false)
        }
    }

    private func draw(_ state: inout State, force: Bool) {
        guard let progress = state.latest else { return }
        let now = started.duration(to: .now).seconds
        let finished = progress.done == progress.total
        if console.errorIsTerminal {
            guard force || now - state.lastDraw >= pace.terminalInterval else { return }
            state.lastDraw = now
            console.showStatus(ProgressPrinter.line(progress, elapsed: now, extra: extra()))
        } else {
            if finished {
                guard !state.finalLineDrawn else { return }
                state.finalLineDrawn = true
            } else {
                guard now - state.lastDraw >= pace.plainInterval else { return }
            }
            state.lastDraw = now
            console.err(ProgressPrinter.line(progress, elapsed: now, extra: extra()) + "\n")
        }
    }

    /// "[3/12] 4 in flight, 1 failed · spent $0.12 · elapsed 0:01:12 · ETA 0:00:40"
    static func line(_ progress: RunProgress, elapsed: Double, extra: String? = nil) -> String {
        var line = "[\(progress.done)/\(progress.total)] \(progress.inFlight) in flight, \(progress.failed) failed"
        if progress.skipped > 0 { line += ", \(progress.skipped) skipped" }
        if progress.pending > 0 { line += ", \(progress.pending) pending" }
        if let extra { line += " · \(extra)" }
        line += " · spent \(Money.describe(progress.spent)) · elapsed \(ElapsedTime.clock(elapsed))"
        if progress.done < progress.total, let eta = progress.eta(at: elapsed) { line += " · ETA \(ElapsedTime.clock(eta.rounded()))" }
        return line
    }
}
