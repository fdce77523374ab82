import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the CLI writes; tests capture it.
public final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let write: @Sendable (String, Bool) -> Void
    public let errorIsTerminal: Bool

    public init(errorIsTerminal: Bool, write: @escaping @Sendable (String, Bool) -> Void) {
        self.errorIsTerminal = errorIsTerminal
        self.write = write
    }

    public static func standard() -> Console {
        Console(errorIsTerminal: isatty(STDERR_FILENO) == 1) { text, isError in
            FileHandle(fileDescriptor: isError ? STDERR_FILENO : STDOUT_FILENO).write(Data(text.utf8))
        }
    }

    public func out(_ text: String) { lock.lock(); write(text, false); lock.unlock() }
    public func err(_ text: String) { lock.lock(); write(text, true); lock.unlock() }
}

/// Prints run progress: a rewritten line on a terminal, plain lines every few seconds otherwise.
final class ProgressPrinter: @unchecked Sendable {
    private let console: Console
    private let lock = NSLock()
    private var lastPrint = Date.distantPast
    private let interval: TimeInterval
    private var lastLineLength = 0

    init(console: Console) {
        self.console = console
        self.interval = console.errorIsTerminal ? 0.1 : 5
    }

    func update(_ progress: RunProgress) {
        lock.lock()
        defer { lock.unlock() }
        let finished = progress.done == progress.total
        guard finished || Date().timeIntervalSince(lastPrint) >= interval else { return }
        lastPrint = Date()
        var line = "[\(progress.done)/\(progress.total)] made \(progress.made), cached \(progress.cached)"
        if progress.failed > 0 { line += ", failed \(progress.failed)" }
        if progress.skipped > 0 { line += ", skipped \(progress.skipped)" }
        line += " · spent \(Money.format(progress.spent))"
        if !finished, let eta = progress.eta { line += " · ETA \(Int(eta.rounded()))s" }
        if console.errorIsTerminal {
            let padding = String(repeating: " ", count: max(0, lastLineLength - line.count))
            lastLineLength = line.count
            console.err("\r" + line + padding + (finished ? "\n" : ""))
        } else {
            console.err(line + "\n")
        }
    }
}
