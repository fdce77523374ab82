/// Exit statuses, decided in one place.
public enum ExitCode: Int32, Sendable {
    case success = 0
    /// Some jobs failed (or were skipped because of failures).
    case jobsFailed = 1
    /// Usage or manifest errors; nothing was run.
    case usage = 2
    /// The estimate exceeds the budget; nothing was run.
    case overBudget = 3
    /// Stopped by Ctrl-C.
    case interrupted = 130
}
