import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// SIGKILL of the real `nanobatch` process at points of a batch run (before the upload, the moment
/// the create arrives, at a poll, at the download, at random requests), then a rerun: never a second
/// batch for the same jobs, and every job ends made.
@Suite(.timeLimit(.minutes(3))) struct BatchKillTests {
    /// Kill points: the first request whose method and path match (path after the fake's prefix).
    static let points: [(String, String)] = [
        ("POST", "/upload/v1beta/files"), ("POST", ":batchGenerateContent"), ("GET", "/v1beta/batches/"), ("GET", ":download"),
    ]

    @Test(arguments: points.indices)
    func aKillAtAPointOfTheBatchThenARerunCreatesNoSecondBatch(_ point: Int) async throws {
        let (method, path) = BatchKillTests.points[point]
        try await killThenRerun { request, _ in request.method == method && request.path.contains(path) }
    }

    @Test(arguments: [2, 3, 5, 7])
    func aKillAtTheNthRequestThenARerunCreatesNoSecondBatch(_ count: Int) async throws {
        try await killThenRerun { _, seen in seen == count }
    }

    /// The same kills with a remote store, and the rerun on another machine (an empty output root):
    /// the journal's copy in the store carries the batch's intent and name there.
    @Test(arguments: points.indices)
    func aKillAtAPointOfTheBatchThenARerunOnAnotherMachineCreatesNoSecondBatch(_ point: Int) async throws {
        let (method, path) = BatchKillTests.points[point]
        try await killThenRerun(onAnotherMachine: true) { request, _ in request.method == method && request.path.contains(path) }
    }

    /// Runs the executable until `killsAt(request, requests seen so far)` says so (SIGKILL, before the
    /// fake answers that request), then reruns in-process to the end: in the same output root, or
    /// `onAnotherMachine` in an empty one, both runs with the same remote store.
    func killThenRerun(onAnotherMachine: Bool = false, _ killsAt: @escaping @Sendable (ReceivedRequest, Int) -> Bool) async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let workspace = try TestWorkspace()
        let fake = try GeminiBatchFake()
        let store = onAnotherMachine ? try MemoryCacheServer() : nil
        let storeArguments = store.map { ["--store", $0.url] } ?? []
        let rerunRoot = onAnotherMachine ? workspace.url.appendingPathComponent("elsewhere") : workspace.outputRoot
        let path = try workspace.write("batch-test.json", batchManifest(fake))
        let process = Process()
        process.executableURL = executable
        process.arguments = ["run", path, "--output", workspace.outputRoot.path, "--quiet"] + storeArguments
        process.environment = ["NB_TEST_KEY": fake.key]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let state = Locked((pid: Int32(0), seen: 0, killed: false))
        fake.injectFaults { request in
            state.withLock { state in
                state.seen += 1
                if !state.killed, state.pid > 0, killsAt(request, state.seen) {
                    state.killed = true
                    kill(state.pid, SIGKILL)
                }
            }
            return nil
        }
        try process.run()
        state.withLock { $0.pid = process.processIdentifier }
        let giveUp = Date().addingTimeInterval(60)
        while process.isRunning, Date() < giveUp { try await Task.sleep(for: .milliseconds(10)) }
        #expect(state.withLock { $0.killed }, "the kill point was never reached")
        #expect(process.terminationReason == .uncaughtSignal)

        // The provider finishes what it was handling when the process died (a create is made, answered to no one).
        let sent = fake.requests.filter { $0.path.hasSuffix(":batchGenerateContent") }.count
        let handled = Date().addingTimeInterval(10)
        while fake.creationCount < sent, Date() < handled { try await Task.sleep(for: .milliseconds(10)) }

        let rerun = await runCLI(
            ["run", path, "--output", rerunRoot.path, "--quiet"] + storeArguments, environment: ["NB_TEST_KEY": fake.key])
        #expect(rerun.status == 0, "\(rerun.err)")
        // However the rerun groups them, no job is ever in two batches.
        let batched = fake.batchKeys.flatMap { $0 }
        #expect(batched.count == 4 && Set(batched).count == 4, "batches created: \(fake.batchKeys)")
        let index = try JSONParser.parse(Data(contentsOf: rerunRoot.appendingPathComponent("batch-test/index.json")))
        let statuses = (index["jobs"]?.arrayValue ?? []).compactMap { $0["status"]?.stringValue }
        #expect(statuses == ["made", "made", "made", "made"], "\(statuses)")
        #expect(fake.violations.isEmpty, "\(fake.violations)")
    }
}
