import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// Mutations of JSON documents: structural (replace, delete, duplicate, retype a node) and raw
/// (flip, cut, or insert bytes). Seeded, so any failure can be replayed.
struct JSONMutator {
    var random: SeededRandom

    static let oddValues: [JSONValue] = [
        .null, true, false, 0, -1, .number(1e308), .number(-1e308), .number(0.5), 4_294_967_297, .string(""), .string("../../etc/passwd"),
        .string("/"), .string(String(repeating: "A", count: 5000)), .string("\u{0}\u{7F}\u{FFFF}"), .string("😀🏳️‍🌈"),
        .string("http://"), .string("data:image/png;base64,%%%"), .string("16:9:4"), .array([]), .object(JSONObject([])),
        .array([.array([.array([.null])])]), .string("nano-banana-2"), .string("4K"), .string("0:0"), .string("-1:5"),
    ]

    mutating func oddValue() -> JSONValue { JSONMutator.oddValues[Int.random(in: 0..<JSONMutator.oddValues.count, using: &random)] }

    /// A structural change at a random node.
    mutating func mutate(_ value: JSONValue, depth: Int = 0) -> JSONValue {
        let choice = Int.random(in: 0..<10, using: &random)
        switch value {
        case .object(var object) where !object.keys.isEmpty && choice < 8:
            let keys = object.keys
            let key = keys[Int.random(in: 0..<keys.count, using: &random)]
            switch choice {
            case 0: object[key] = nil
            case 1: object[key] = oddValue()
            case 2: object["unexpected_\(Int.random(in: 0..<9, using: &random))"] = oddValue()
            default: object[key] = mutate(object[key] ?? .null, depth: depth + 1)
            }
            return .object(object)
        case .array(var items) where !items.isEmpty && choice < 8:
            let index = Int.random(in: 0..<items.count, using: &random)
            switch choice {
            case 0: items.remove(at: index)
            case 1: items[index] = oddValue()
            case 2: items.append(contentsOf: items)
            default: items[index] = mutate(items[index], depth: depth + 1)
            }
            return .array(items)
        default:
            return oddValue()
        }
    }

    /// A raw byte-level change to serialised JSON.
    mutating func mutateBytes(_ data: Data) -> Data {
        var bytes = [UInt8](data)
        guard !bytes.isEmpty else { return Data([0x7B]) }
        let at = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes[at] ^= UInt8.random(in: 1...255, using: &random)
        case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &random)))
        case 2: bytes.insert(contentsOf: Array("\"},[:]1e999".utf8).shuffled(using: &random).prefix(3), at: at)
        default: bytes = Array(bytes.prefix(at))
        }
        return Data(bytes)
    }

    mutating func mutated(_ document: JSONValue) -> Data {
        var value = document
        for _ in 0..<Int.random(in: 1...3, using: &random) { value = mutate(value) }
        let data = value.data()
        return Int.random(in: 0..<4, using: &random) == 0 ? mutateBytes(data) : data
    }
}

@Suite(.timeLimit(.minutes(5))) struct FuzzTests {
    /// Thousands of mutated manifests: each one loads, or fails with issues that name a path and say what is wrong.
    @Test func mutatedManifestsNeverCrashAndAlwaysExplain() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let seeds = [
            try JSONParser.parse(
                Data(
                    contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                        .appendingPathComponent("../../manifests/example.json").standardizedFileURL)),
            try JSONParser.parse(
                baseManifest(extra: #", "steps": [ { "id": "up", "from": "hero", "prompt": "Upscale" } ], "budget": { "maxCost": 3 }"#)),
            try JSONParser.parse(
                baseManifest(
                    providers:
                        #"{ "api": { "dialect": "evolink", "apiKeyEnv": "K", "retry": { "maxAttempts": 3 }, "callbackURL": "https://example.com/cb" } }"#,
                    models: #"["api:nano-banana-beta"]"#, references: "[[]]")),
        ]
        let (loaded, rejected, problems) = try await offPool { () -> (Int, Int, [String]) in
            var mutator = JSONMutator(random: SeededRandom(seed: 42))
            let store = ContentStore(root: workspace.outputRoot)
            let rootPath = workspace.outputRoot.standardizedFileURL.path + "/"
            var loaded = 0
            var rejected = 0
            var problems: [String] = []
            for round in 0..<3000 {
                let data = mutator.mutated(seeds[round % seeds.count])
                do {
                    let manifest = try ManifestLoader.decode(data, file: "fuzz-\(round).json", directory: workspace.url)
                    let graph = Planner.expand(manifest)
                    _ = try? PlanEvaluator.evaluate(graph, store: store)
                    let folder = workspace.outputRoot.appendingPathComponent(manifest.name).standardizedFileURL.path
                    for job in graph.jobs {
                        let friendly = URL(fileURLWithPath: "\(folder)/\(job.friendlyStem).png").standardizedFileURL.path
                        if !friendly.hasPrefix(rootPath) { problems.append("round \(round): \(friendly) escapes the output root") }
                    }
                    loaded += 1
                } catch let error as ManifestError {
                    rejected += 1
                    if error.issues.isEmpty { problems.append("round \(round): an error without issues") }
                    if error.issues.contains(where: { $0.message.isEmpty }) {
                        problems.append("round \(round): an issue without a message")
                    }
                } catch {
                    problems.append("round \(round): unexpected error type \(type(of: error)): \(error)")
                }
            }
            return (loaded, rejected, problems)
        }
        #expect(problems == [])
        #expect(rejected > 1000, "the mutations should break most manifests (\(loaded) loaded)")
        #expect(loaded > 20, "some mutations should leave a valid manifest (\(rejected) rejected)")
    }

    /// Thousands of mutated provider answers through every dialect's readers: a state, or a failure
    /// with a message; never a crash, never the key.
    @Test func mutatedProviderAnswersNeverCrashAndAlwaysExplain() async throws {
        let key = "sk-fuzz-SECRET-0123456789"
        let answers: [String] = [
            #"{"taskId":"t1","status":"completed","result":{"imageUrls":["https://cdn.example/a.png"]},"errorMessage":"Bearer sk-fuzz-SECRET-0123456789"}"#,
            #"{"code":"success","message":"","data":{"task_id":"t2","status":"succeeded","progress":"100%","result_url":"https://cdn.example/b.png","metadata":{"result_count":1},"error":null}}"#,
            #"{"created":1,"id":"t3","object":"image.generation.task","status":"failed","error":{"code":"service_error","message":"key=sk-fuzz-SECRET-0123456789"},"usage":{"credits_reserved":1.6}}"#,
            #"{"candidates":[{"content":{"parts":[{"text":"here"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":1290}}"#,
            #"{"created":1757165031,"data":[{"url":"https://cdn.example/c.png","revised_prompt":"x"}]}"#,
            #"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"53s"}]}}"#,
        ]
        let documents = try answers.map { try JSONParser.parse($0) }
        let (states, failures, problems) = try await offPool { () -> (Int, Int, [String]) in
            let redactor = Redactor(secrets: [key])
            let forms = SecretForms(key)
            var mutator = JSONMutator(random: SeededRandom(seed: 99))
            var states = 0
            var failures = 0
            var problems: [String] = []
            func check(_ failure: ProviderFailure, _ round: Int) {
                failures += 1
                if failure.message.isEmpty { problems.append("round \(round): a failure without a message") }
                if let form = forms.found(in: failure.description) ?? forms.found(in: failure.rawAnswer ?? "") {
                    problems.append("round \(round): the key leaked (\(form))")
                }
            }
            func check(_ state: ProviderClient.TaskState, _ round: Int) {
                switch state {
                case .failed(let failure): check(failure, round)
                case .running, .succeeded: states += 1
                }
            }
            for round in 0..<6000 {
                let data = mutator.mutated(documents[round % documents.count])
                let status = [200, 201, 400, 401, 402, 403, 404, 429, 500, 503][round % 10]
                let headers = ["retry-after": round % 3 == 0 ? "Wed, 21 Oct 2026 07:28:00 GMT" : "x"]
                check(
                    ProviderErrorReader.failure(
                        HTTPResponse(status: status, headers: headers, body: data), redactor: redactor, apiKeyEnv: "K"), round)
                guard let answer = try? JSONParser.parse(data) else { continue }
                check(MountseaTranslator().taskState(answer, taskID: "t", redactor: redactor), round)
                check(ImageTasksTranslator().taskState(answer, taskID: "t", redactor: redactor), round)
                check(EvolinkTranslator().taskState(answer, taskID: "t", redactor: redactor), round)
                do { _ = try GeminiTranslator.image(in: answer, redactor: redactor) } catch let failure as ProviderFailure {
                    check(failure, round)
                } catch {
                    problems.append("round \(round): unexpected error \(error)")
                }
                _ = GeminiTranslator.cost(usage: answer["usageMetadata"] ?? .null, model: "gemini-3-pro-image")
                _ = OpenAIImagesTranslator.resultLocation(answer)
                _ = ResultDecoder.urls(in: answer)
                for text in answer.allStrings.prefix(20) {
                    _ = ResultDecoder.dataURL(text)
                    _ = ResultDecoder.locations(inText: text)
                }
            }
            return (states, failures, problems)
        }
        #expect(problems == [])
        #expect(states > 500 && failures > 5000, "states \(states), failures \(failures)")
    }

    /// Mutated answers from a live fake, through the whole adapter and runner: every job ends made
    /// or failed with a reason; the run finishes; nothing broken enters the store.
    @Test func mutatedAnswersOverHTTPEndAsJobErrors() async throws {
        let fake = try DialectFakes.imageTasks()
        fake.pollsBeforeDone = 1
        let mutatorBox = LockedMutator(seed: 5)
        fake.injectFaults { fake, request in
            guard !request.path.hasPrefix("/files/") else { return nil }
            // Half the answers are mutated copies of documented ones.
            let template =
                request.method == "POST"
                ? #"{"code":"success","message":"","data":{"task_id":"task-x","status":"queued"}}"#
                : #"{"code":"success","data":{"task_id":"task-x","status":"succeeded","result_url":"\#(fake.server.baseURL)/files/none.png","metadata":{"result_count":1}}}"#
            return mutatorBox.maybeMutate(template)
        }
        let workspace = try TestWorkspace()
        let prompts = (0..<120).map { ("p\($0)", "Fuzzed scene \($0)") }
        let manifest = apiManifest(
            dialect: "image-tasks", fake: fake, models: ["NanoBanana"], prompts: prompts,
            providerExtra: #", "concurrency": 8, "deadlineSeconds": 5, "retry": { "maxAttempts": 2, "initialDelaySeconds": 0.005 }"#
        )
        .replacingOccurrences(of: #""deadlineSeconds": 20, "#, with: "")
        let result = try await runAgainst(fake, manifest, in: workspace)
        #expect([0, 1].contains(result.status), "\(result.err)")
        let rows = try readIndex(workspace, manifest: "api-test").jobRows
        #expect(rows.count == 120)
        for row in rows {
            let status = row["status"]?.stringValue
            #expect(status == "made" || (status == "failed" && !(row["error"]?.stringValue ?? "").isEmpty), "\(row.serialized())")
        }
        #expect(storeIsClean(workspace) == [])
    }
}

final class LockedMutator: @unchecked Sendable {
    private let lock = NSLock()
    private var mutator: JSONMutator

    init(seed: UInt64) { mutator = JSONMutator(random: SeededRandom(seed: seed)) }

    func maybeMutate(_ template: String) -> ServerReply? {
        lock.withLock {
            guard Bool.random(using: &mutator.random), let document = try? JSONParser.parse(template) else { return nil }
            return ServerReply(status: 200, headers: ["Content-Type": "application/json"], body: mutator.mutated(document))
        }
    }
}
