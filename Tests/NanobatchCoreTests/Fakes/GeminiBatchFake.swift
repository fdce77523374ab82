import Foundation
import LoopbackHTTP

@testable import NanobatchCore

/// A fake of the Gemini Batch API on 127.0.0.1, mounted under `/gw`: Files API resumable upload (two
/// steps, headers checked), batch create/get/list (page tokens)/cancel, and results download. Batches
/// advance one state per poll (pending → running → succeeded, or expired); every request line is
/// checked against the `generateContent` rules `DialectFakes.gemini` enforces, and violations are
/// recorded. Prompts holding `[line-error]` get an error line; Gemini 3 models answer with a
/// `"thought": true` interim image first.
final class GeminiBatchFake: @unchecked Sendable {
    struct Batch {
        var id: String
        var model: String
        var displayName: String
        var keys: [String]
        var results: Data
        var polls = 0
        var state = "BATCH_STATE_PENDING"
        var errorLines = 0
    }

    let key: String
    let prefix = "/gw"
    private(set) var server: LoopbackServer!
    private let lock = NSLock()
    private var recorded: [ReceivedRequest] = []
    private var problems: [String] = []
    private var uploads: [String: (displayName: String, length: Int)] = [:]
    private var files: [String: Data] = [:]
    private var batches: [Batch] = []
    private var counter = 0
    private var creations = 0
    private var faultInjector: (@Sendable (ReceivedRequest) -> ServerReply?)?

    /// Polls answered "pending", then "running", before a batch ends.
    var pollsPending = 1
    var pollsRunning = 1
    /// When set, batches end EXPIRED (no results) instead of succeeding.
    var expiresBatches = false
    /// The next this many batches to finish end EXPIRED; later ones succeed.
    var batchesToExpire = 0
    /// When set, batches end FAILED with this message.
    var failsBatchesWith: String?
    /// Batches per list page.
    var listPageSize = 2
    /// Creates whose answer is lost: the batch is made, then the connection closes unanswered.
    var dropsCreateAnswers = 0
    /// Creates answered 503 although the batch was made (a front end timing out behind a slow backend).
    var failsCreatesAfterMaking = 0
    /// Where upload URLs point (another origin in tests of the key's confinement); this fake's own by default.
    var uploadBaseURL: String?

    init(key: String = "gemini-key-\(UUID().uuidString.prefix(8))") throws {
        self.key = key
        server = try LoopbackServer(maxBodyBytes: 256 << 20) { [unowned self] request in self.handle(request) }
    }

    deinit { server.stop() }

    var baseURL: String { server.baseURL + prefix }
    var requests: [ReceivedRequest] { lock.withLock { recorded } }
    var violations: [String] { lock.withLock { problems } }
    /// Batch creations the fake accepted (a kill test expects no duplicates).
    var creationCount: Int { lock.withLock { creations } }
    var batchNames: [String] { lock.withLock { batches.map { "batches/\($0.id)" } } }
    /// The keys of each batch created, in order.
    var batchKeys: [[String]] { lock.withLock { batches.map(\.keys) } }

    /// Asked first for every request (after recording it); a reply replaces the normal answer.
    func injectFaults(_ injector: @escaping @Sendable (ReceivedRequest) -> ServerReply?) {
        lock.withLock { faultInjector = injector }
    }

    /// Adds a batch made elsewhere (another run, another tool), for list tests.
    func addBatch(displayName: String, state: String) {
        lock.withLock {
            counter += 1
            batches.append(
                Batch(id: "b\(counter)", model: "gemini-3-pro-image", displayName: displayName, keys: [], results: Data(), state: state))
        }
    }

    func violation(_ text: String, _ request: ReceivedRequest) {
        lock.withLock { problems.append("\(request.method) \(request.path): \(text)") }
    }

    /// Answers one request; also used by a second server standing for another origin.
    func handle(_ request: ReceivedRequest) -> ServerReply {
        lock.withLock { recorded.append(request) }
        if let fault = lock.withLock({ faultInjector })?(request) { return fault }
        let path = request.path.hasPrefix(prefix) ? String(request.path.dropFirst(prefix.count)) : request.path
        if path == "/upload/v1beta/files", let session = request.query["upload_id"] {
            return finishUpload(request, session: session)
        }
        guard request.headers["x-goog-api-key"] == key else {
            violation("missing or wrong x-goog-api-key", request)
            return FakeAPI.googleError(403, state: "PERMISSION_DENIED", message: "API key not valid.")
        }
        switch (request.method, path) {
        case ("POST", "/upload/v1beta/files"): return startUpload(request)
        case ("GET", "/v1beta/batches"): return listBatches(request)
        case ("POST", _) where path.hasPrefix("/v1beta/models/") && path.hasSuffix(":batchGenerateContent"):
            return createBatch(request, model: String(path.dropFirst("/v1beta/models/".count).dropLast(":batchGenerateContent".count)))
        case ("POST", _) where path.hasPrefix("/v1beta/batches/") && path.hasSuffix(":cancel"):
            return cancelBatch(String(path.dropFirst("/v1beta/batches/".count).dropLast(":cancel".count)))
        case ("GET", _) where path.hasPrefix("/v1beta/batches/"):
            return pollBatch(String(path.dropFirst("/v1beta/batches/".count)))
        case ("GET", _) where path.hasPrefix("/download/v1beta/files/") && path.hasSuffix(":download"):
            if request.query["alt"] != "media" { violation("download without alt=media", request) }
            let name = "files/" + path.dropFirst("/download/v1beta/files/".count).dropLast(":download".count)
            return lock.withLock { files[name] }.map {
                ServerReply(status: 200, headers: ["Content-Type": "application/octet-stream"], body: $0)
            }
                ?? FakeAPI.googleError(404, state: "NOT_FOUND", message: "no such file")
        default:
            violation("undocumented endpoint", request)
            return FakeAPI.googleError(404, state: "NOT_FOUND", message: "not found")
        }
    }

    // MARK: Files API

    private func startUpload(_ request: ReceivedRequest) -> ServerReply {
        let headers = request.headers
        let checks: [(Bool, String)] = [
            (headers["x-goog-upload-protocol"] == "resumable", "X-Goog-Upload-Protocol must be resumable"),
            (headers["x-goog-upload-command"] == "start", "X-Goog-Upload-Command must be start"),
            (Int(headers["x-goog-upload-header-content-length"] ?? "") != nil, "X-Goog-Upload-Header-Content-Length missing"),
            (
                headers["x-goog-upload-header-content-type"] == "application/jsonl",
                "X-Goog-Upload-Header-Content-Type must be application/jsonl"
            ),
        ]
        for (ok, text) in checks where !ok { violation(text, request) }
        let body = try? JSONParser.parse(request.body)
        let displayName = body?.at("file", "display_name")?.stringValue ?? body?.at("file", "displayName")?.stringValue
        if displayName == nil { violation("start body has no file.display_name", request) }
        let session = nextID("upload")
        lock.withLock { uploads[session] = (displayName ?? "", Int(headers["x-goog-upload-header-content-length"] ?? "") ?? -1) }
        let base = uploadBaseURL ?? server.baseURL
        return ServerReply(
            status: 200,
            headers: [
                "X-Goog-Upload-URL": "\(base)\(prefix)/upload/v1beta/files?upload_id=\(session)&upload_protocol=resumable",
                "X-Goog-Upload-Status": "active",
            ])
    }

    private func finishUpload(_ request: ReceivedRequest, session: String) -> ServerReply {
        guard let upload = lock.withLock({ uploads.removeValue(forKey: session) }) else {
            violation("unknown upload session", request)
            return FakeAPI.googleError(404, state: "NOT_FOUND", message: "no such upload")
        }
        if request.headers["x-goog-upload-command"] != "upload, finalize" {
            violation("X-Goog-Upload-Command must be \"upload, finalize\"", request)
        }
        if request.headers["x-goog-upload-offset"] != "0" { violation("X-Goog-Upload-Offset must be 0", request) }
        if request.body.count != upload.length { violation("uploaded \(request.body.count) bytes, announced \(upload.length)", request) }
        let name = "files/" + nextID("input")
        lock.withLock { files[name] = request.body }
        return .json(
            #"{"file":{"name":"\#(name)","displayName":"\#(upload.displayName)","mimeType":"application/jsonl","sizeBytes":"\#(request.body.count)","state":"ACTIVE"}}"#
        )
    }

    // MARK: Batches

    private func createBatch(_ request: ReceivedRequest, model: String) -> ServerReply {
        guard DialectFakes.geminiModels[model] != nil else {
            violation("unknown model \(model)", request)
            return FakeAPI.googleError(404, state: "NOT_FOUND", message: "models/\(model) is not found")
        }
        guard let body = try? JSONParser.parse(request.body), let batch = body["batch"],
            let displayName = batch["displayName"]?.stringValue, let fileName = batch.at("inputConfig", "fileName")?.stringValue,
            let input = lock.withLock({ files[fileName] })
        else {
            violation("create body needs batch.displayName and an uploaded inputConfig.fileName", request)
            return FakeAPI.googleError(400, state: "INVALID_ARGUMENT", message: "bad batch")
        }
        var keys: [String] = []
        var results = Data()
        var errorLines = 0
        for line in input.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard let value = try? JSONParser.parse(Data(line)), let lineKey = value["key"]?.stringValue, let generate = value["request"]
            else {
                violation("a line is not {\"key\", \"request\"}", request)
                continue
            }
            keys.append(lineKey)
            for problem in GeminiBatchFake.generateContentProblems(generate, model: model) {
                violation("line \(lineKey): \(problem)", request)
            }
            let prompt = generate.at("contents", 0, "parts", 0, "text")?.stringValue ?? ""
            let ratio = generate.at("generationConfig", "imageConfig", "aspectRatio")?.stringValue ?? "1:1"
            if prompt.contains("[line-error]") { errorLines += 1 }
            results.append(resultLine(key: lineKey, model: model, ratio: ratio, fails: prompt.contains("[line-error]")))
        }
        let made = lock.withLock {
            creations += 1
            counter += 1
            let made = Batch(
                id: "b\(counter)", model: model, displayName: displayName, keys: keys, results: results, errorLines: errorLines)
            batches.append(made)
            return made
        }
        let drop = lock.withLock {
            dropsCreateAnswers -= 1
            return dropsCreateAnswers >= 0
        }
        let fail = lock.withLock {
            failsCreatesAfterMaking -= 1
            return failsCreatesAfterMaking >= 0
        }
        if fail { return FakeAPI.googleError(503, state: "UNAVAILABLE", message: "The service is currently unavailable.") }
        return drop ? ServerReply(fault: .closeWithoutAnswer) : .json(GeminiBatchFake.operation(made))
    }

    private func pollBatch(_ id: String) -> ServerReply {
        let batch: Batch? = lock.withLock {
            guard let index = batches.firstIndex(where: { $0.id == id }) else { return nil }
            var batch = batches[index]
            guard !batch.state.hasSuffix("CANCELLED"), !batch.state.hasSuffix("SUCCEEDED"), !batch.state.hasSuffix("EXPIRED"),
                !batch.state.hasSuffix("FAILED")
            else { return batch }
            batch.polls += 1
            if batch.polls <= pollsPending {
                batch.state = "BATCH_STATE_PENDING"
            } else if batch.polls <= pollsPending + pollsRunning {
                batch.state = "BATCH_STATE_RUNNING"
            } else if expiresBatches || batchesToExpire > 0 {
                batchesToExpire -= 1
                batch.state = "BATCH_STATE_EXPIRED"
            } else if failsBatchesWith != nil {
                batch.state = "BATCH_STATE_FAILED"
            } else {
                batch.state = "BATCH_STATE_SUCCEEDED"
                files["files/results-\(batch.id)"] = batch.results
            }
            batches[index] = batch
            return batch
        }
        guard let batch else { return FakeAPI.googleError(404, state: "NOT_FOUND", message: "no such batch") }
        return .json(GeminiBatchFake.operation(batch, failure: failsBatchesWith))
    }

    private func listBatches(_ request: ReceivedRequest) -> ServerReply {
        let all = lock.withLock { batches }
        let start = Int(request.query["pageToken"] ?? "0") ?? 0
        let page = all.dropFirst(start).prefix(listPageSize)
        let next = start + page.count < all.count ? #","nextPageToken":"\#(start + page.count)""# : ""
        return .json(#"{"batches":[\#(page.map { GeminiBatchFake.operation($0) }.joined(separator: ","))]\#(next)}"#)
    }

    private func cancelBatch(_ id: String) -> ServerReply {
        lock.withLock {
            guard let index = batches.firstIndex(where: { $0.id == id }) else {
                return FakeAPI.googleError(404, state: "NOT_FOUND", message: "no such batch")
            }
            batches[index].state = "BATCH_STATE_CANCELLED"
            return .json("{}")
        }
    }

    // MARK: Answers

    static func operation(_ batch: Batch, failure: String? = nil) -> String {
        let finished = ["SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"].contains { batch.state.hasSuffix($0) }
        let succeeded = batch.state.hasSuffix("SUCCEEDED")
        let total = batch.keys.count
        let stats =
            succeeded
            ? #"{"requestCount":"\#(total)","successfulRequestCount":"\#(total - batch.errorLines)","failedRequestCount":"\#(batch.errorLines)"}"#
            : #"{"requestCount":"\#(total)","pendingRequestCount":"\#(finished ? 0 : total)"}"#
        var text =
            #"{"name":"batches/\#(batch.id)","metadata":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch","model":"models/\#(batch.model)","displayName":"\#(batch.displayName)","state":"\#(batch.state)","batchStats":\#(stats)},"done":\#(finished)"#
        if succeeded {
            text +=
                #","response":{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput","responsesFile":"files/results-\#(batch.id)"}"#
        } else if batch.state.hasSuffix("FAILED") {
            text += #","error":{"code":13,"message":"\#(failure ?? "the batch failed")"}"#
        }
        return text + "}"
    }

    private func resultLine(key: String, model: String, ratio: String, fails: Bool) -> Data {
        if fails { return Data(#"{"key":"\#(key)","error":{"code":400,"message":"the fake was told to fail this line"}}"#.utf8 + [0x0A]) }
        let data = GeminiBatchFake.image(ratio: ratio).base64EncodedString()
        let interim = GeminiBatchFake.image(ratio: ratio == "21:9" ? "1:1" : "21:9").base64EncodedString()
        let thought = model.hasPrefix("gemini-3") ? #"{"inlineData":{"mimeType":"image/png","data":"\#(interim)"},"thought":true},"# : ""
        let text =
            #"{"key":"\#(key)","response":{"candidates":[{"content":{"role":"model","parts":[\#(thought){"text":"Here is your image."},{"inlineData":{"mimeType":"image/png","data":"\#(data)"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":1300,"totalTokenCount":2300,"candidatesTokensDetails":[{"modality":"TEXT","tokenCount":10},{"modality":"IMAGE","tokenCount":1290}]},"modelVersion":"\#(model)"}}"#
        return Data(text.utf8 + [0x0A])
    }

    /// A small PNG whose pixel size follows the ratio (8 px per unit).
    static func image(ratio: String) -> Data {
        let parts = ratio.split(separator: ":").compactMap { Int($0) }
        let (w, h) = parts.count == 2 ? (parts[0] * 8, parts[1] * 8) : (8, 8)
        return PNGEncoder(width: w, height: h).encode { y, row in
            for x in 0..<w {
                row[3 * x] = UInt8(x & 255)
                row[3 * x + 1] = UInt8(y & 255)
                row[3 * x + 2] = 64
            }
        }
    }

    private func nextID(_ kind: String) -> String {
        lock.withLock {
            counter += 1
            return "\(kind)-\(counter)"
        }
    }
}
