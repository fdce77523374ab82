import Foundation

/// The pure half of an async task dialect: what to send to create and poll a task, and how to read
/// the answers. No HTTP and no clock; `AsyncTaskDriver` sends, waits and downloads.
protocol AsyncTaskTranslator: Sendable {
    /// Where tasks are created (`POST`).
    var createEndpoint: TaskEndpoint { get }
    /// What the create answer calls the task id, for the message when it has none.
    var taskIDName: String { get }
    /// Whether a create answer may already hold the finished task (then it is used, not polled).
    var createAnswerMayHoldResult: Bool { get }
    /// Ends the message for a finished task with no image: "task ID <this>".
    var missingResultMessage: String { get }
    /// When to submit again, and what the cost is counted in.
    var policy: AsyncTaskPolicy { get }

    /// The create request's JSON body; references are already http(s) URLs.
    func createBody(for job: Job, referenceURLs: [String]) -> JSONValue
    /// A failure reported inside an otherwise successful create answer, if any.
    func failure(inCreateAnswer answer: JSONValue, redactor: Redactor) -> ProviderFailure?
    /// The new task's id, if the create answer holds one.
    func taskID(inCreateAnswer answer: JSONValue) -> String?
    /// Where a task is polled (`GET`).
    func pollEndpoint(taskID: String) -> TaskEndpoint
    /// What one poll answer (or a create answer) says about the task.
    func taskState(_ answer: JSONValue, taskID: String, redactor: Redactor) -> ProviderClient.TaskState
    /// What the job cost, in `policy.costUnit`, when the answers say; `createAnswer` is `nil` for a resumed task.
    func actualCost(job: Job, createAnswer: JSONValue?, finalAnswer: JSONValue) -> Double?
}

/// One request target of a task API: a path below the base URL, its query, and its name in messages.
struct TaskEndpoint: Sendable, Equatable, CustomStringConvertible {
    var path: String
    var query: [(String, String)] = []
    var what: String

    var description: String {
        query.isEmpty ? path : path + "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func == (lhs: TaskEndpoint, rhs: TaskEndpoint) -> Bool {
        lhs.description == rhs.description && lhs.what == rhs.what
    }
}
