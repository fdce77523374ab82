/// Exit statuses; `MessageInfo` picks the one for an error.
package enum ExitCode: Int32, Sendable {
    case success = 0
    /// Some jobs failed (or were skipped because of failures).
    case jobsFailed = 1
    /// Usage, manifest or configuration errors; nothing was run.
    case usage = 2
    /// Over budget: the estimate exceeds it (nothing was run), or, with no job failed, jobs were not
    /// submitted because their reservations no longer fit (see `BudgetPolicy`) or a provider charged
    /// more than a job reserved.
    case overBudget = 3
    /// The build could not go on: the output root busy or unwritable, the disk full, or another
    /// unexpected error. Before any job: nothing was run; after: finished images are kept in the store.
    case cannotContinue = 4
    /// `run --no-wait`: nothing failed, and some jobs are pending in batches that have not finished;
    /// run again later to collect them (75 is sysexits' "temporary failure, try again").
    case pending = 75
    /// Stopped by Ctrl-C.
    case interrupted = 130

    /// One line per status, for the help text.
    static let summary =
        "0 all jobs succeeded, 1 some failed, 2 usage or manifest error, 3 over budget, "
        + "4 the build could not go on (output root busy or unwritable, disk full), "
        + "75 batch jobs still pending (run --no-wait; run again to collect), 130 interrupted"
}
