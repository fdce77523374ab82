import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the CLI writes; tests capture it.
///
/// On a terminal, standard error may carry one status line (the run's progress) that is redrawn in
/// place; any other output clears it first, so nothing is ever glued to it.
package final class Console: Sendable {
    private struct Sink {
        /// Writes one piece of text (true: to standard error).
        var write: @Sendable (String, Bool) -> Void
        /// The status line on screen (the cursor is at its end), if one is.
        var status: String?
    }

    /// Held while writing, so pieces never interleave.
    private let sink: Locked<Sink>
    let errorIsTerminal: Bool
    /// Columns of the terminal standard error is on (asked again at each redraw: windows change size).
    let terminalWidth: @Sendable () -> Int

    init(
        errorIsTerminal: Bool, terminalWidth: @escaping @Sendable () -> Int = { 80 },
        write: @escaping @Sendable (String, Bool) -> Void
    ) {
        self.errorIsTerminal = errorIsTerminal
        self.terminalWidth = terminalWidth
        self.sink = Locked(Sink(write: write))
    }

    package static func standard() -> Console {
        let environment = ProcessInfo.processInfo.environment
        return Console(
            errorIsTerminal: isatty(STDERR_FILENO) == 1, terminalWidth: { columns(environment: environment) },
            write: { text, isError in
                FileHandle(fileDescriptor: isError ? STDERR_FILENO : STDOUT_FILENO).write(Data(text.utf8))
            })
    }

    /// The width of the terminal on standard error, else `$COLUMNS`, else 80.
    static func columns(environment: [String: String]) -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = environment["COLUMNS"].flatMap({ Int($0) }), columns > 0 { return columns }
        return 80
    }

    func out(_ text: String) { write(text, isError: false) }
    func err(_ text: String) { write(text, isError: true) }

    private func write(_ text: String, isError: Bool) {
        sink.withLock { sink in
            Console.clear(&sink)
            sink.write(text, isError)
        }
    }

    /// Draws `line` as the status line, over the previous one: cut to the terminal's width, so it
    /// never wraps (a wrapped line cannot be redrawn in place). Terminal only.
    func showStatus(_ line: String) {
        let fitted = Console.fit(line, width: terminalWidth())
        sink.withLock { sink in
            guard sink.status != fitted else { return }
            sink.write("\r" + fitted + "\u{1B}[K", true)
            sink.status = fitted
        }
    }

    /// Removes the status line, if one is shown.
    func clearStatus() { sink.withLock { Console.clear(&$0) } }

    private static func clear(_ sink: inout Sink) {
        guard sink.status != nil else { return }
        sink.write("\r\u{1B}[K", true)
        sink.status = nil
    }

    /// `line` cut to one column less than `width` (the last column would wrap on some terminals), "…" where cut.
    static func fit(_ line: String, width: Int) -> String {
        let room = max(1, width - 1)
        guard line.count > room else { return line }
        return String(line.prefix(room - 1)) + "…"
    }
}
