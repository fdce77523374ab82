import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the CLI writes; tests capture it.
package final class Console: Sendable {
    /// Writes one piece of text (true: to standard error); held under the lock so pieces never interleave.
    private let write: Locked<@Sendable (String, Bool) -> Void>
    let errorIsTerminal: Bool

    init(errorIsTerminal: Bool, write: @escaping @Sendable (String, Bool) -> Void) {
        self.errorIsTerminal = errorIsTerminal
        self.write = Locked(write)
    }

    package static func standard() -> Console {
        Console(errorIsTerminal: isatty(STDERR_FILENO) == 1) { text, isError in
            FileHandle(fileDescriptor: isError ? STDERR_FILENO : STDOUT_FILENO).write(Data(text.utf8))
        }
    }

    func out(_ text: String) { write.withLock { $0(text, false) } }
    func err(_ text: String) { write.withLock { $0(text, true) } }
}

/// Prints run progress: a rewritten line on a terminal, plain lines every few seconds otherwise.
final class ProgressPrinter: Sendable {
    private struct State {
        var lastPrint = Date.distantPast
        var lastLineLength = 0
    }

    private let console: Console
    private let interval: TimeInterval
    /// Held while printing, so lines come out in the order they were decided.
    private let state = Locked(State())

    init(console: Console) {
        self.console = console
        self.interval = console.errorIsTerminal ? 0.1 : 5
    }

    func update(_ progress: RunProgress) {
        state.withLock { state in
            let finished = progress.done == progress.total
            guard finished || Date().timeIntervalSince(state.lastPrint) >= interval else { return }
            state.lastPrint = Date()
            var line = "[\(progress.done)/\(progress.total)] made \(progress.made), cached \(progress.cached)"
            if progress.failed > 0 { line += ", failed \(progress.failed)" }
            if progress.skipped > 0 { line += ", skipped \(progress.skipped)" }
            line += " · spent \(Money.format(progress.spent))"
            if !finished, let eta = progress.eta { line += " · ETA \(Int(eta.rounded()))s" }
            if console.errorIsTerminal {
                let padding = String(repeating: " ", count: max(0, state.lastLineLength - line.count))
                state.lastLineLength = line.count
                console.err("\r" + line + padding + (finished ? "\n" : ""))
            } else {
                console.err(line + "\n")
            }
        }
    }
}
