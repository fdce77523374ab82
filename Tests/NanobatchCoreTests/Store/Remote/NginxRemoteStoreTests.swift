import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// The remote store against a real nginx (WebDAV `PUT`, started per test on a loopback port) and
/// the real executable in separate processes with separate output roots: what one made, another
/// fetches; a run killed mid-way and rerun elsewhere pays nothing twice; `report` rebuilds a full
/// folder; a store that is down, refuses writes or serves corrupt bytes stops before any paid request.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: NginxStore.executable != nil, Comment(rawValue: NginxStore.missingMessage)))
struct NginxRemoteStoreTests {
    let workspace: TestWorkspace
    let manifest: String

    init() throws {
        workspace = try TestWorkspace()
        manifest = try workspace.write("shared.json", remoteStoreManifest(prompts: 3))
    }

    func root(_ name: String) -> String { workspace.url.appendingPathComponent(name).path }

    /// `nanobatch` as its own process, waited for off Swift's cooperative pool.
    func runProcess(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let folder = workspace.url
        return try await offPool { try runExecutable(executable, arguments, in: folder, environment: ["PATH": "/usr/bin:/bin"]) }
    }

    func index(_ root: String) throws -> JSONValue {
        try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: "\(root)/shared/index.json")))
    }

    /// The friendly image files of a root, by relative path, with their bytes.
    func images(_ root: String) throws -> [String: Data] {
        let folder = URL(fileURLWithPath: "\(root)/shared")
        let names = (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: folder.appendingPathComponent($0))) })
    }

    @Test func aSecondMachineMakesNothingAndGetsTheSameBytes() async throws {
        let nginx = try NginxStore()
        let first = try await runProcess(["run", manifest, "--output", root("a"), "--store", nginx.url, "--quiet"])
        #expect(first.status == 0, "\(first.output)")
        #expect(nginx.names(in: "ac").count == 6, "one record per job")
        let second = try await runProcess(["run", manifest, "--output", root("b"), "--store", nginx.url, "--quiet"])
        #expect(second.status == 0, "\(second.output)")
        #expect(try index(root("b"))["totals"]?["made"]?.numberValue == 0, "\(second.output)")
        #expect(try index(root("b"))["totals"]?["cached"]?.numberValue == 6)
        let (made, fetched) = (try images(root("a")), try images(root("b")))
        #expect(made.count == 6)
        #expect(made == fetched, "the fetched images differ from the made ones")
    }

    @Test func aRunKilledMidwayAndRerunElsewherePaysNothingTwice() async throws {
        let nginx = try NginxStore()
        let slow = try workspace.write("slow.json", remoteStoreManifest(prompts: 8, latencyMs: 250, concurrency: 2))
        let killed = try await runKilledMidway(["run", slow, "--output", root("a"), "--store", nginx.url, "--quiet"]) {
            nginx.names(in: "ac").count >= 4
        }
        #expect(killed)
        let before = nginx.names(in: "ac").count
        #expect(before < 16, "the kill should land before the run finished")

        let rerun = try await runProcess(["run", slow, "--output", root("b"), "--store", nginx.url, "--quiet"])
        #expect(rerun.status == 0, "\(rerun.output)")
        let totals = try index(root("b"))["totals"]
        #expect(totals?["made"]?.numberValue == Double(16 - before), "a job the killed run had published was made again")
        #expect(totals?["cached"]?.numberValue == Double(before))
        #expect(nginx.names(in: "ac").count == 16)
    }

    /// A run of async tasks killed at its first poll (one job at a time), rerun on another machine:
    /// the task's record was in the store before that poll, so the rerun polls it and pays only for
    /// the job that was never submitted.
    @Test func aRunKilledAtItsFirstPollIsResumedElsewhereWithoutANewTask() async throws {
        let nginx = try NginxStore()
        let fake = try DialectFakes.mountsea()
        let manifest = try workspace.write(
            "api-test.json",
            apiManifest(
                dialect: "mountsea", fake: fake, models: ["nano-banana-fast"], prompts: [("a", "A red cube"), ("b", "A blue cube")],
                ratios: ["1:1"], providerExtra: #", "concurrency": 1"#))
        let environment = ["NB_TEST_KEY": fake.key, "PATH": "/usr/bin:/bin"]
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["run", manifest, "--output", root("a"), "--store", nginx.url, "--quiet"]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        // SIGKILL the moment the first poll arrives, before it is answered.
        let pid = Locked(Int32(0))
        fake.injectFaults { _, request in
            if request.method == "GET", request.path.contains("/task/result") {
                pid.withLock { if $0 > 0 { kill($0, SIGKILL) } }
                return ServerReply(fault: .closeWithoutAnswer)
            }
            return nil
        }
        try process.run()
        pid.withLock { $0 = process.processIdentifier }
        try await offPool { process.waitUntilExit() }
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(fake.createdTasks.count == 1)
        fake.injectFaults { _, _ in nil }

        let folder = workspace.url
        let rerun = try await offPool {
            try runExecutable(
                executable, ["run", manifest, "--output", root("b"), "--store", nginx.url, "--quiet"], in: folder,
                environment: environment)
        }
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(fake.createdTasks.count == 2, "the rerun on another machine paid again for the task the killed run created")
        let rows = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: "\(root("b"))/api-test/index.json"))).jobRows
        #expect(rows.count == 2 && rows.allSatisfy { $0["status"]?.stringValue == "made" })
        #expect(rows.compactMap { $0["resumedTask"]?.stringValue } == [fake.createdTasks[0].id])
    }

    @Test func reportIntoAnEmptyFolderListsEveryJobWithValidImages() async throws {
        let nginx = try NginxStore()
        let made = try await runProcess(["run", manifest, "--output", root("a"), "--store", nginx.url, "--quiet"])
        #expect(made.status == 0, "\(made.output)")
        let report = try await runProcess(["report", manifest, "--output", root("fresh"), "--store", nginx.url])
        #expect(report.status == 0, "\(report.output)")
        let rows = try index(root("fresh")).jobRows
        #expect(rows.count == 6 && rows.allSatisfy { $0["status"]?.stringValue == "cached" }, "\(rows)")
        let fetched = try images(root("fresh"))
        #expect(fetched.count == 6)
        for (name, bytes) in fetched { #expect(ImageInspector.examine(bytes) != nil, "\(name) is not a whole image") }
        #expect(fetched == (try images(root("a"))))
        for file in ["index.html", "index.csv"] { #expect(FileManager.default.fileExists(atPath: "\(root("fresh"))/shared/\(file)")) }
    }

    @Test func aStoreThatIsDownStopsTheRunBeforeAnyProviderRequest() async throws {
        let nginx = try NginxStore()
        nginx.stop()
        let probe = ConcurrencyProbe()
        let run = await runCLI(
            ["run", manifest, "--output", root("a"), "--store", nginx.url, "--quiet"], providerOverride: RemoteStoreTests.counted(probe))
        #expect(run.status == ExitCode.cannotContinue.rawValue, "\(run.err)")
        #expect(run.err.contains("could not use the remote store \(nginx.url)") && run.err.contains("nothing was run"), "\(run.err)")
        #expect(probe.callCount == 0)
    }

    @Test func aStoreThatRefusesWritesStopsTheRunBeforeAnyProviderRequest() async throws {
        let nginx = try NginxStore(access: .readOnly)
        let probe = ConcurrencyProbe()
        let run = await runCLI(
            ["run", manifest, "--output", root("a"), "--store", nginx.url, "--quiet"], providerOverride: RemoteStoreTests.counted(probe))
        #expect(run.status == ExitCode.cannotContinue.rawValue, "\(run.err)")
        #expect(run.err.contains("HTTP 403 (the store refuses writes)") && run.err.contains("nothing was run"), "\(run.err)")
        #expect(probe.callCount == 0)
        #expect(nginx.names(in: "cas").isEmpty)
    }

    @Test func corruptBytesOnTheServerGiveAClearErrorAndNoImageAnywhere() async throws {
        let nginx = try NginxStore()
        let made = try await runProcess(["run", manifest, "--output", root("a"), "--store", nginx.url, "--quiet"])
        #expect(made.status == 0, "\(made.output)")
        let blob = try #require(
            nginx.names(in: "cas").first { $0 != SHA256.hash(Data("nanobatch remote store probe v1\n".utf8)).hexString })
        try nginx.plant("cas/\(blob)", Data("not the image that was stored here".utf8))

        let probe = ConcurrencyProbe()
        let run = await runCLI(
            ["run", manifest, "--output", root("b"), "--store", nginx.url, "--quiet"], providerOverride: RemoteStoreTests.counted(probe))
        #expect(run.status == ExitCode.cannotContinue.rawValue, "\(run.err)")
        #expect(run.err.contains("cas/\(blob) served") && run.err.contains("corrupt"), "\(run.err)")
        #expect(probe.callCount == 0)
        // Whatever was fetched before the error is whole; the corrupt bytes are nowhere.
        let files = FileManager.default.enumerator(atPath: root("b"))?.allObjects as? [String] ?? []
        for file in files where file.hasSuffix(".png") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(root("b"))/\(file)"))
            #expect(ImageInspector.examine(bytes) != nil, "\(file)")
            #expect(SHA256.hash(bytes).hexString != SHA256.hash(Data("not the image that was stored here".utf8)).hexString)
        }
        #expect(!files.contains { $0.hasPrefix("shared/") && $0.hasSuffix(".png") }, "a friendly file was written: \(files)")
    }
}
