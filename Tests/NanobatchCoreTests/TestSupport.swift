import Foundation
import SocketHTTP
import Testing

@testable import NanobatchCore

/// A temporary folder removed when the value goes away.
final class TestWorkspace: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nanobatch-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }
    var outputRoot: URL { url.appendingPathComponent("output") }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    @discardableResult
    func write(_ relative: String, data: Data) throws -> String {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file.path
    }

    /// The image files in the store, relative to the output root.
    func storedImages() -> [String] {
        filesUnderOutput().filter { file in
            file.hasPrefix(".nanobatch/store/") && ImageFormat.allCases.contains { file.hasSuffix(".\($0.fileExtension)") }
        }
    }

    /// Every regular file under the output root, relative paths.
    func filesUnderOutput() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: outputRoot.path) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: outputRoot.appendingPathComponent(relative).path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.append(relative)
            }
        }
        return files.sorted()
    }
}

/// Captures what the CLI prints.
final class CapturedConsole: @unchecked Sendable {
    private let lock = NSLock()
    private var outText = ""
    private var errText = ""

    lazy var console: Console = Console(errorIsTerminal: false) { [unowned self] text, isError in
        self.lock.lock()
        if isError { self.errText += text } else { self.outText += text }
        self.lock.unlock()
    }

    var out: String {
        lock.lock()
        defer { lock.unlock() }
        return outText
    }
    var err: String {
        lock.lock()
        defer { lock.unlock() }
        return errText
    }
}

struct CLIResult {
    let status: Int32
    let out: String
    let err: String
}

func runCLI(
    _ arguments: [String], environment: [String: String] = [:], stop: StopSignal = StopSignal(),
    providerOverride: (@Sendable (ProviderConfig) -> (any ImageProvider)?)? = nil, standardInput: Data = Data()
) async -> CLIResult {
    let captured = CapturedConsole()
    let cli = NanobatchCLI(
        console: captured.console, environment: environment, stop: stop, providerOverride: providerOverride,
        plainHTTP: SocketHTTPTransport(), standardInput: { standardInput })
    let status = await cli.run(arguments)
    return CLIResult(status: status, out: captured.out, err: captured.err)
}

/// Reads index.json back as loosely typed JSON for assertions.
func readIndex(_ workspace: TestWorkspace, manifest: String) throws -> JSONValue {
    let data = try Data(contentsOf: workspace.outputRoot.appendingPathComponent("\(manifest)/index.json"))
    return try JSONParser.parse(data)
}

extension JSONValue {
    var jobRows: [JSONValue] { self["jobs"]?.arrayValue ?? [] }
}

func statuses(_ index: JSONValue) -> [String: String] {
    var result: [String: String] = [:]
    for row in index.jobRows {
        if let id = row["id"]?.stringValue, let status = row["status"]?.stringValue { result[id] = status }
    }
    return result
}

/// Counts jobs in flight around a wrapped provider; records the highest count seen.
final class ConcurrencyProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var current: [String: Int] = [:]
    private var peak: [String: Int] = [:]
    private var totalCurrent = 0
    private(set) var totalPeak = 0
    private(set) var calls = 0

    func enter(_ provider: String) {
        lock.lock()
        current[provider, default: 0] += 1
        peak[provider] = max(peak[provider] ?? 0, current[provider]!)
        totalCurrent += 1
        totalPeak = max(totalPeak, totalCurrent)
        calls += 1
        lock.unlock()
    }

    func leave(_ provider: String) {
        lock.lock()
        current[provider, default: 0] -= 1
        totalCurrent -= 1
        lock.unlock()
    }

    func peak(for provider: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return peak[provider] ?? 0
    }
    var callCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return calls
    }
}

struct ProbedProvider: ImageProvider {
    let inner: any ImageProvider
    let probe: ConcurrencyProbe
    let name: String

    func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        probe.enter(name)
        defer { probe.leave(name) }
        return try await inner.generate(request)
    }
}

/// Fails every job whose prompt text contains `marker`.
struct FailingProvider: ImageProvider {
    let inner: any ImageProvider
    let marker: String

    func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        if request.job.promptText.contains(marker) {
            throw ProviderFailure("content_policy_violation: refused", httpStatus: 400, providerCode: "content_policy_violation")
        }
        return try await inner.generate(request)
    }
}

/// A minimal PNG made by the project's own encoder, for reference files.
func smallPNG(seed: String) -> Data {
    PlaceholderImage.render(key: SHA256.hash(seed).hexString, aspectRatio: "1:1", imageSize: "0.5K")
}

/// Runs blocking or CPU-heavy work on a Dispatch thread, so the few threads of Swift's cooperative
/// pool (two on a 2-core machine) stay free for the tests that are waiting on timers and sockets.
/// Expectations belong in the caller: the work returns what it found.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// Polls `condition` every few milliseconds until it holds (true) or `limit` passes (false): for
/// tests that wait on another task's progress without assuming how long a sleep must be.
func eventually(within limit: Duration = .seconds(20), _ condition: @Sendable () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(2))
    }
    return true
}

/// Runs `executable` from `folder` and returns its status and its stdout and stderr together; a
/// process still running after `timeLimit` seconds is terminated.
func runExecutable(
    _ executable: URL, _ arguments: [String], in folder: URL, environment: [String: String]? = nil, standardInput: URL? = nil,
    timeLimit: Double = 60
) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = folder
    if let environment { process.environment = environment }
    let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("nanobatch-output-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: outputFile) }
    let output = try FileHandle(forWritingTo: outputFile)
    defer { try? output.close() }
    process.standardOutput = output
    process.standardError = output
    process.standardInput = try standardInput.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeLimit)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: try Data(contentsOf: outputFile), as: UTF8.self))
}

/// Starts `nanobatch ARGS` (output discarded), SIGKILLs it once `ready` holds (within 20 s), and waits
/// for it to end: true when `ready` held and the process died of the kill.
func runKilledMidway(
    _ arguments: [String], in folder: URL? = nil, environment: [String: String]? = nil, once ready: @escaping @Sendable () -> Bool
) async throws -> Bool {
    let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    if let environment { process.environment = environment }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let held = try await eventually(ready)
    kill(process.processIdentifier, SIGKILL)
    try await offPool { process.waitUntilExit() }
    return held && process.terminationReason == .uncaughtSignal
}
