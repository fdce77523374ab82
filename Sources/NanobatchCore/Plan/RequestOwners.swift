/// Which job makes each distinct request: the first to claim a content key owns it, and later jobs
/// with the same key share its result. Used by the plan (for jobs whose keys are known up front) and
/// by the scheduler (for chained jobs whose keys are known once their upstream is made).
struct RequestOwners {
    private var owners: [String: Int] = [:]

    /// Claims `key` for job `index`; returns the job that already owns it, or `nil` when `index` now does.
    mutating func claim(_ key: String, by index: Int) -> Int? {
        if let owner = owners[key] { return owner }
        owners[key] = index
        return nil
    }
}
