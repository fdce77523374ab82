import Foundation
import LoopbackHTTP

@testable import NanobatchCore

/// A fake provider on 127.0.0.1: records every request, checks it against the dialect's document
/// (violations are collected, and the request gets the error the real API would give), keeps
/// async tasks, and serves result images at `/files/<name>`.
final class FakeAPI: @unchecked Sendable {
    typealias Route = @Sendable (FakeAPI, ReceivedRequest) -> ServerReply

    let key: String
    /// The path prefix the fake is mounted under (`/gw`), so base URLs with prefixes are exercised.
    let prefix: String
    private(set) var server: LoopbackServer!
    private let lock = NSLock()
    private var recorded: [ReceivedRequest] = []
    private var problems: [String] = []
    private var files: [String: Data] = [:]
    private var tasks: [String: FakeTask] = [:]
    private var scripted: [String: [ServerReply]] = [:]
    private var counter = 0

    /// Polls a task answers "running" before it ends.
    var pollsBeforeDone = 2
    /// The pixel size of result images is `ratio × scale` (21:9 → 168×72 at scale 8).
    var imageScale = 8
    /// Put inside every new task id ("task<filler>-7"): long ids, or ids holding odd text.
    var taskIDFiller = ""
    /// When set, every result image is this ratio instead of the requested one.
    var forcedRatio: String?
    /// Asked first for every request (after recording it); a reply replaces the normal answer.
    private var faultInjector: (@Sendable (FakeAPI, ReceivedRequest) -> ServerReply?)?
    /// When true, tasks made with `[stuck]` finish at their next poll.
    private var stuckReleased = false

    func injectFaults(_ injector: @escaping @Sendable (FakeAPI, ReceivedRequest) -> ServerReply?) {
        lock.withLock { faultInjector = injector }
    }

    func releaseStuckTasks() { lock.withLock { stuckReleased = true } }

    /// Tasks in creation order, with the prompt each was made for.
    var createdTasks: [(id: String, prompt: String)] {
        lock.withLock { tasks.map { ($0.key, $0.value.prompt) }.sorted { $0.id.taskNumber < $1.id.taskNumber } }
    }

    init(key: String = "test-key-\(UUID().uuidString.prefix(8))", prefix: String = "/gw", route: @escaping Route) throws {
        self.key = key
        self.prefix = prefix
        server = try LoopbackServer { [unowned self] request in
            self.lock.withLock { self.recorded.append(request) }
            if let fault = self.lock.withLock({ self.faultInjector })?(self, request) { return fault }
            if request.method == "GET", request.path.hasPrefix("/files/") {
                return self.lock.withLock { self.files[String(request.path.dropFirst("/files/".count))] }
                    .map { ServerReply(status: 200, headers: ["Content-Type": "image/png"], body: $0) }
                    ?? .json(#"{"error":"no such file"}"#, status: 404)
            }
            if let reply = self.nextScripted(for: request) { return reply }
            return route(self, request)
        }
    }

    deinit { server.stop() }

    /// What a manifest's `baseURL` should say.
    var baseURL: String { server.baseURL + prefix + "/" }
    var requests: [ReceivedRequest] { lock.withLock { recorded } }
    var violations: [String] { lock.withLock { problems } }
    /// Requests to the API (not image downloads).
    var apiRequests: [ReceivedRequest] { requests.filter { !$0.path.hasPrefix("/files/") } }

    func violation(_ text: String, _ request: ReceivedRequest) {
        lock.withLock { problems.append("\(request.method) \(request.path): \(text)") }
    }

    /// Checks a condition the document states; records a violation when it fails.
    @discardableResult
    func require(_ condition: Bool, _ text: @autoclosure () -> String, _ request: ReceivedRequest) -> Bool {
        if !condition { violation(text(), request) }
        return condition
    }

    /// Answers for the next requests whose path ends with `suffix`, before the route is asked.
    func script(_ suffix: String, _ replies: [ServerReply]) {
        lock.withLock { scripted[suffix, default: []] += replies }
    }

    private func nextScripted(for request: ReceivedRequest) -> ServerReply? {
        lock.withLock {
            for (suffix, replies) in scripted where request.path.hasSuffix(suffix) && !replies.isEmpty {
                scripted[suffix] = Array(replies.dropFirst())
                return replies[0]
            }
            return nil
        }
    }

    func nextID(_ kind: String) -> String {
        lock.withLock {
            counter += 1
            return "\(kind)-\(counter)"
        }
    }

    /// Makes a result image for a ratio and returns its URL.
    func hostImage(ratio: String) -> String {
        let data = imageBytes(ratio: ratio)
        let name = nextID("img") + ".png"
        lock.withLock { files[name] = data }
        return "\(server.baseURL)/files/\(name)"
    }

    func file(named name: String) -> Data? { lock.withLock { files[name] } }

    func hostFile(_ name: String, _ data: Data) -> String {
        lock.withLock { files[name] = data }
        return "\(server.baseURL)/files/\(name)"
    }

    func imageBytes(ratio: String) -> Data {
        let parts = (forcedRatio ?? ratio).split(separator: ":").compactMap { Int($0) }
        let (w, h) = parts.count == 2 ? (parts[0] * imageScale, parts[1] * imageScale) : (8, 8)
        return PNGEncoder(width: w, height: h).encode { y, row in
            for x in 0..<w {
                row[3 * x] = UInt8(x & 255)
                row[3 * x + 1] = UInt8(y & 255)
                row[3 * x + 2] = 128
            }
        }
    }

    // MARK: Tasks

    struct FakeTask {
        var polls = 0
        var ratio: String
        var outcome: Outcome
        var created: String
        var prompt: String
    }

    enum Outcome {
        case succeed
        case fail(code: String, message: String)
        case neverFinish
    }

    func createTask(ratio: String, outcome: Outcome, prompt: String = "") -> String {
        let id = nextID("task" + taskIDFiller)
        lock.withLock { tasks[id] = FakeTask(ratio: ratio, outcome: outcome, created: id, prompt: prompt) }
        return id
    }

    /// Advances a task by one poll: `nil` if unknown, else the task after the poll.
    func poll(_ id: String) -> FakeTask? {
        lock.withLock {
            guard var task = tasks[id] else { return nil }
            task.polls += 1
            if stuckReleased, case .neverFinish = task.outcome { task.outcome = .succeed }
            tasks[id] = task
            return task
        }
    }

    var taskCount: Int { lock.withLock { tasks.count } }

    private var failedOnce: Set<String> = []

    /// The outcome a prompt asks for: `[fail:code]` fails the task with that code, `[fail-once:code]`
    /// fails only the first task for that prompt, `[stuck]` never ends.
    func outcome(for prompt: String) -> Outcome {
        if prompt.contains("[stuck]") { return .neverFinish }
        if let range = prompt.range(of: #"\[fail-once:([a-z_]+)\]"#, options: .regularExpression) {
            let code = String(prompt[range].dropFirst(11).dropLast())
            let first = lock.withLock { failedOnce.insert(prompt).inserted }
            return first ? .fail(code: code, message: "the fake failed this task once") : .succeed
        }
        if let range = prompt.range(of: #"\[fail:([a-z_]+)\]"#, options: .regularExpression) {
            let code = String(prompt[range].dropFirst(6).dropLast())
            return .fail(code: code, message: "the fake was told to fail this task")
        }
        return .succeed
    }

    // MARK: Request helpers

    func json(_ request: ReceivedRequest) -> JSONObject? {
        guard let value = try? JSONParser.parse(request.body), let object = value.objectValue else {
            violation("body is not a JSON object", request)
            return nil
        }
        return object
    }

    func checkBearer(_ request: ReceivedRequest) -> Bool {
        require(request.headers["authorization"] == "Bearer \(key)", "missing or wrong Authorization: Bearer header", request)
    }

    func checkKeys(_ object: JSONObject, allowed: Set<String>, required: [String], _ request: ReceivedRequest) {
        for key in object.keys where !allowed.contains(key) { violation("undocumented field \"\(key)\"", request) }
        for key in required where object[key] == nil { violation("missing required field \"\(key)\"", request) }
    }

    func checkEnum(_ object: JSONObject, _ field: String, _ allowed: [String], _ request: ReceivedRequest) {
        guard let value = object[field] else { return }
        require(value.stringValue.map(allowed.contains) == true, "\(field) \(value.serialized()) is not one of \(allowed)", request)
    }

    static func isHTTPURL(_ value: JSONValue) -> Bool {
        guard let text = value.stringValue else { return false }
        return text.hasPrefix("http://") || text.hasPrefix("https://")
    }

    static func openAIError(_ status: Int, code: String, message: String, type: String = "invalid_request_error") -> ServerReply {
        .json(#"{"error":{"code":"\#(code)","message":"\#(message)","type":"\#(type)"}}"#, status: status)
    }

    static func googleError(_ status: Int, state: String, message: String, details: String = "") -> ServerReply {
        .json(
            #"{"error":{"code":\#(status),"message":"\#(message)","status":"\#(state)"\#(details.isEmpty ? "" : ",\"details\":" + details)}}"#,
            status: status)
    }
}

extension String {
    /// "task-12" → 12, for creation order.
    var taskNumber: Int { Int(split(separator: "-").last ?? "") ?? 0 }
}
