import Foundation

/// What the journal's records mean when a run starts: which paid requests can be picked up again,
/// which may have been paid without a result, and what the compacted file keeps.
extension SubmissionJournal {
    struct Analysis: Sendable {
        /// Open tasks and result URLs within the resume window, by key.
        var tasks: [String: OpenTask] = [:]
        /// This manifest's submissions without a result (and those of version 1 lines, which name no manifest).
        var unresolved: [Unresolved] = []
        /// The lines the compacted journal keeps: open records, and other manifests' unresolved submissions.
        var kept: [Record] = []
    }

    /// A time a record may carry: written by a clock, not by a corrupt or hand-edited line. Anything
    /// else (`inf`, `nan`, `-1e300`, next century) is read as `now`, so the record is neither lost
    /// nor kept forever: an open task stays resumable for one more window.
    static func plausibleTime(_ time: Double, now: Double) -> Double {
        time.isFinite && time >= 0 && time <= now + 24 * 3600 ? time : now
    }

    /// Open tasks still worth resuming, and submissions that ended without a result, from the records.
    static func analyse(_ records: [Record], manifest: String = "", hasResult: (String) -> Bool, now: Double) -> Analysis {
        var submitted: [String: Record] = [:]
        var tasks: [String: OpenTask] = [:]
        for var record in records {
            record.time = plausibleTime(record.time, now: now)
            switch record.event {
            case "submit":
                submitted[record.key] = record
            case "task", "result", "intent":
                tasks[record.key] = OpenTask(
                    key: record.key, provider: record.provider, job: record.job, event: record.event, detail: record.detail,
                    createdAt: record.time, manifest: record.manifest)
                submitted[record.key] = nil
            case "end", "lost":
                submitted[record.key] = nil
                tasks[record.key] = nil
            default:
                continue
            }
        }
        var analysis = Analysis()
        var unsettled: [Record] = []
        for (key, task) in tasks where hasResult(key) || task.createdAt < now - resumeWindow(for: task) {
            tasks[key] = nil
            if !hasResult(key) {
                unsettled.append(
                    Record(event: "submit", time: task.createdAt, key: key, provider: task.provider, job: task.job, manifest: task.manifest)
                )
            }
        }
        for (key, submission) in submitted where !hasResult(key) && tasks[key] == nil { unsettled.append(submission) }
        for record in unsettled {
            if record.manifest == manifest || record.manifest.isEmpty {
                analysis.unresolved.append(
                    Unresolved(key: record.key, provider: record.provider, job: record.job, submittedAt: timestamp(record.time)))
            } else {
                analysis.kept.append(record)
            }
        }
        analysis.unresolved.sort { ($0.submittedAt, $0.job) < ($1.submittedAt, $1.job) }
        analysis.tasks = tasks
        analysis.kept += tasks.values.map(\.record)
        analysis.kept.sort { ($0.time, $0.key) < ($1.time, $1.key) }
        return analysis
    }
}
