import Foundation

/// `--shard K/N`, `--shard auto/N` and `--shard auto`: which shard this process makes.
///
/// `auto` takes the 0-based index from the engine that started the process: Kubernetes Indexed
/// Jobs (`JOB_COMPLETION_INDEX`; the count is the job's `completions`, so `auto/N` names it) or
/// Cloud Run jobs (`CLOUD_RUN_TASK_INDEX`, with `CLOUD_RUN_TASK_COUNT` as the count).
enum ShardOption {
    static let help = [
        "shard":
            "make one share of the jobs: K/N (1-based, e.g. 2/4), or auto/N or auto (index from JOB_COMPLETION_INDEX or CLOUD_RUN_TASK_INDEX)"
    ]
    static let form = "K/N with 1 ≤ K ≤ N (e.g. 2/4), auto/N, or auto"

    static func parse(_ text: String?, environment: [String: String]) throws -> Shard? {
        guard let text else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let first = parts.first else { throw usage("--shard must be \(form), not \"\(text)\"") }
        var count: Int?
        if parts.count == 2 {
            guard let number = Int(parts[1]), number >= 1 else { throw usage("--shard must be \(form), not \"\(text)\"") }
            count = number
        }
        if first == "auto" { return try fromEnvironment(count: count, environment: environment) }
        guard let count, let index = Int(first), let shard = Shard(index: index, count: count) else {
            throw usage("--shard must be \(form), not \"\(text)\"")
        }
        return shard
    }

    static func fromEnvironment(count: Int?, environment: [String: String]) throws -> Shard {
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
                throw usage("--shard auto: \(name) must be a whole number ≥ 0, not \"\(text)\"")
            }
            return value
        }
        let taskCount = try number("CLOUD_RUN_TASK_COUNT")
        if let taskCount, let count, taskCount != count {
            throw usage("--shard auto/\(count): CLOUD_RUN_TASK_COUNT says \(taskCount) tasks")
        }
        let (name, index): (String, Int)
        if let kubernetes = try number("JOB_COMPLETION_INDEX") {
            (name, index) = ("JOB_COMPLETION_INDEX", kubernetes)
        } else if let cloudRun = try number("CLOUD_RUN_TASK_INDEX") {
            (name, index) = ("CLOUD_RUN_TASK_INDEX", cloudRun)
        } else {
            throw usage(
                "--shard auto needs JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or CLOUD_RUN_TASK_INDEX (Cloud Run job) in the environment; neither is set"
            )
        }
        guard let total = count ?? taskCount else {
            throw usage("--shard auto: \(name) gives the index but not the count; write --shard auto/N (N: the job's completions)")
        }
        guard let shard = Shard(index: index + 1, count: total) else {
            throw usage("--shard auto/\(total): \(name)=\(index) is not below \(total) (it counts from 0)")
        }
        return shard
    }

    private static func usage(_ message: String) -> UsageError { UsageError(message) }
}
