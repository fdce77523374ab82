import Foundation
import Testing

@testable import NanobatchCore

/// The built `nanobatch` executable, beside the test bundle.
func nanobatchExecutable() -> URL? {
    var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = directory.appendingPathComponent("nanobatch")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fromArguments = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("nanobatch")
    return FileManager.default.isExecutableFile(atPath: fromArguments.path) ? fromArguments : nil
}

@Suite(.timeLimit(.minutes(5))) struct CrashSafetyTests {
    @Test func sigkillMidRunLeavesNoBrokenImageAndRedoesNothing() async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let (workspace, manifest) = try slowManifest(concurrency: 3, latencyMs: 150, variants: 15)
        let graph = Planner.expand(try ManifestLoader.load(path: manifest))
        let total = graph.jobs.count
        #expect(total == 60)

        var finishedBefore = 0
        for round in 0..<4 {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill once a few more images than before are finished, so every kill lands mid-run.
            let target = finishedBefore + 3 + round * 2
            await signal(SIGKILL, to: process, once: target, storedIn: workspace)
            #expect(process.terminationReason == .uncaughtSignal)

            // Whatever the store holds after the kill is whole; nothing finished was lost.
            let plan = try PlanEvaluator.evaluate(graph, store: ContentStore(root: workspace.outputRoot))
            #expect(plan.cachedCount >= finishedBefore, "round \(round): finished work was lost")
            finishedBefore = plan.cachedCount
            try assertNoBrokenImages(workspace)
        }
        #expect(finishedBefore < total, "the kills should land before the run finished")

        let rerun = await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"])
        #expect(rerun.status == 0, "\(rerun.err)")
        let index = try readIndex(workspace, manifest: "test")
        #expect(index["totals"]?["made"]?.numberValue == Double(total - finishedBefore), "finished jobs were made again")
        #expect(index["totals"]?["cached"]?.numberValue == Double(finishedBefore))
        try assertNoBrokenImages(workspace)
        let leftovers = workspace.filesUnderOutput().filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func ctrlCStopsSubmittingKeepsFinishedWorkAndExitsNonZero() async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let (workspace, manifest) = try slowManifest(concurrency: 2, latencyMs: 200, variants: 10)
        let (process, errors) = try start(executable, manifest, workspace)
        await signal(SIGINT, to: process, once: 2, storedIn: workspace)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("stopping: no new jobs"))
        let index = try readIndex(workspace, manifest: "test")
        let made = statuses(index).values.filter { $0 == "made" }.count
        #expect(made >= 2 && made < 40)
        #expect(index["stoppedBecause"]?.stringValue?.contains("Ctrl-C") == true)
        try assertNoBrokenImages(workspace)
    }

    /// One stop delivered twice at once is one Ctrl-C: jobs in flight still finish.
    @Test func aSigintDeliveredTwiceAtOnceIsOneStop() async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let (workspace, manifest) = try slowManifest(concurrency: 2, latencyMs: 400, variants: 10)
        let (process, errors) = try start(executable, manifest, workspace)
        await signal(SIGINT, to: process, once: 2, storedIn: workspace, twice: true)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(stderr)")
        let index = try readIndex(workspace, manifest: "test")
        #expect(!statuses(index).values.contains("failed"), "jobs in flight were abandoned: \(stderr)")
    }

    @Test func sigtermAbandonsJobsInFlightButWritesTheIndexAndSaysWhy() async throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let (workspace, manifest) = try slowManifest(concurrency: 2, latencyMs: 400, variants: 10)
        let (process, errors) = try start(executable, manifest, workspace)
        await signal(SIGTERM, to: process, once: 2, storedIn: workspace)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("terminated (SIGTERM)"))
        let index = try readIndex(workspace, manifest: "test")
        #expect(index["stoppedBecause"]?.stringValue?.contains("SIGTERM") == true)
        let made = statuses(index).values.filter { $0 == "made" }.count
        #expect(made >= 2 && made < 40)
        try assertNoBrokenImages(workspace)
    }

    /// `nanobatch run MANIFEST` as its own process, its standard error in a pipe.
    func start(_ executable: URL, _ manifest: String, _ workspace: TestWorkspace) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["run", manifest, "--output", workspace.outputRoot.path]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    func slowManifest(concurrency: Int, latencyMs: Int, variants: Int) throws -> (TestWorkspace, String) {
        let workspace = try TestWorkspace()
        let providers = #"{ "local": { "dialect": "offline", "concurrency": \#(concurrency), "latencyMs": \#(latencyMs) } }"#
        let json = baseManifest(providers: providers, references: "[[]]", matrixExtra: #", "variants": \#(variants)"#)
        return (workspace, try workspace.write("m.json", json))
    }

    /// Sends `signal` once `count` images are in the store, then waits for the process to end.
    /// Polled on a plain thread: the test pool's threads may be busy with other tests.
    /// `twice`: the signal goes out twice back to back, as `timeout -s INT` delivers it.
    func signal(_ signal: Int32, to process: Process, once count: Int, storedIn workspace: TestWorkspace, twice: Bool = false) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                let giveUp = Date().addingTimeInterval(60)
                while self.storedImageCount(workspace) < count, process.isRunning, Date() < giveUp { usleep(2000) }
                kill(process.processIdentifier, signal)
                if twice { kill(process.processIdentifier, signal) }
                process.waitUntilExit()
                done.resume()
            }
        }
    }

    func storedImageCount(_ workspace: TestWorkspace) -> Int {
        let store = workspace.outputRoot.appendingPathComponent(".nanobatch/store")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? []
        return folders.reduce(0) { count, folder in
            count
                + ((try? FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent(folder).path)) ?? [])
                .filter { !$0.hasSuffix(".partial") }.count
        }
    }

    func assertNoBrokenImages(_ workspace: TestWorkspace) throws {
        for file in workspace.filesUnderOutput() where file.hasSuffix(".png") {
            let path = workspace.outputRoot.appendingPathComponent(file).path
            #expect(ImageInspector.inspectFile(at: path) != nil, "broken image: \(file)")
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ContentStoreTests {
    /// Commits a small PNG under the key `SHA-256(seed)`, as a run would.
    func commitImage(seed: String, to store: ContentStore) throws -> (key: String, entry: StoreEntry) {
        let key = SHA256.hash(seed).hexString
        let temporary = try store.temporaryFile(for: key)
        try smallPNG(seed: seed).write(to: temporary)
        return (key, try store.commit(temporary: temporary, key: key))
    }

    @Test func anImageWithoutItsLogLineIsRecoveredNotRemade() throws {
        let workspace = try TestWorkspace()
        let (key, entry) = try commitImage(seed: "k", to: ContentStore(root: workspace.outputRoot))
        let logPath = ContentStore(root: workspace.outputRoot).logPath
        try FileManager.default.removeItem(atPath: logPath)
        #expect(ContentStore(root: workspace.outputRoot).lookup(key) == entry)
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(log.contains(key) && log.contains(entry.outputHash))
    }

    @Test func aLookupIsOneStatUntilTheBlobIsTouchedThenAFullCheck() throws {
        let workspace = try TestWorkspace()
        let store = ContentStore(root: workspace.outputRoot)
        let (key, entry) = try commitImage(seed: "touched", to: store)
        // A fresh process reads the line back.
        #expect(ContentStore(root: workspace.outputRoot).lookup(key) == entry)
        // Same bytes, new modification time: checked in full, accepted, and the line renewed.
        let later = Date().addingTimeInterval(5)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: entry.blobPath)
        #expect(ContentStore(root: workspace.outputRoot).lookup(key) == entry)
        let log = try String(contentsOfFile: store.logPath, encoding: .utf8)
        #expect(log.split(separator: "\n").filter { $0.contains(key) }.count == 2)
        // Same size, different bytes (a valid image, but not the one recorded): not a hit.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: entry.blobPath))
        let other = smallPNG(seed: "other")
        if other.count == bytes.count { bytes = other } else { bytes[bytes.count / 2] ^= 0xFF }
        try bytes.write(to: URL(fileURLWithPath: entry.blobPath))
        #expect(ContentStore(root: workspace.outputRoot).lookup(key) == nil)
    }

    @Test func logLinesReadBackAsWritten() throws {
        let workspace = try TestWorkspace()
        let records = [
            EntryRecord(
                key: SHA256.hash("a").hexString, info: ImageInfo(format: .png, width: 1024, height: 768), bytes: 123_456,
                sha256: SHA256.hash("b").hexString, modified: 1_795_247_301_324_216_395),
            EntryRecord(
                key: SHA256.hash("c").hexString, info: ImageInfo(format: .webp, width: 1, height: 2), bytes: 16,
                sha256: SHA256.hash("d").hexString, modified: -5),
        ]
        let path = try workspace.write("entries.log", data: Data(records.map(\.line).joined().utf8))
        let read = EntryRecord.readLog(path)
        #expect(read.lines == 2)
        #expect(read.records.count == 2)
        for record in records { #expect(read.records[record.key] == record) }
    }

    @Test func tornAndMalformedLogLinesAreIgnored() throws {
        let workspace = try TestWorkspace()
        let store = ContentStore(root: workspace.outputRoot)
        let (key, entry) = try commitImage(seed: "torn", to: store)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: store.logPath))
        handle.seekToEndOfFile()
        handle.write(Data("v1\tnot-a-key\tpng\t1\t1\t1\tx\t0\nv1\t\(key)\tpng\t9".utf8))
        try handle.close()
        #expect(ContentStore(root: workspace.outputRoot).lookup(key) == entry)
    }

    @Test func commitRefusesWhatIsNotAWholeImage() throws {
        let workspace = try TestWorkspace()
        let store = ContentStore(root: workspace.outputRoot)
        let key = SHA256.hash("bad").hexString
        let temporary = try store.temporaryFile(for: key)
        try Data(smallPNG(seed: "bad").dropLast(8)).write(to: temporary)
        #expect(throws: ContentStore.CommitError.self) { try store.commit(temporary: temporary, key: key) }
        #expect(store.lookup(key) == nil)
        #expect(!FileManager.default.fileExists(atPath: temporary.path))
    }

    /// Inline answers are stored from memory: the same entry, blob and log line as through a file.
    @Test func bytesCommittedFromMemoryMatchAFileCommit() throws {
        let viaFile = try TestWorkspace()
        let viaMemory = try TestWorkspace()
        let (key, fileEntry) = try commitImage(seed: "inline", to: ContentStore(root: viaFile.outputRoot))
        let store = ContentStore(root: viaMemory.outputRoot)
        let entry = try store.commit(image: smallPNG(seed: "inline"), key: key)
        #expect(entry.info == fileEntry.info && entry.bytes == fileEntry.bytes && entry.outputHash == fileEntry.outputHash)
        #expect(try Data(contentsOf: URL(fileURLWithPath: entry.blobPath)) == smallPNG(seed: "inline"))
        #expect(ContentStore(root: viaMemory.outputRoot).lookup(key) == entry)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: store.temporaryDirectory)) ?? []).isEmpty)
    }

    @Test func bytesThatAreNotAWholeImageAreRefusedAndLeaveNoFile() throws {
        let workspace = try TestWorkspace()
        let store = ContentStore(root: workspace.outputRoot)
        let key = SHA256.hash("cut").hexString
        #expect(throws: ContentStore.CommitError.self) { try store.commit(image: Data(smallPNG(seed: "cut").dropLast(8)), key: key) }
        #expect(store.lookup(key) == nil)
        #expect(workspace.filesUnderOutput().filter { $0.hasSuffix(".png") || $0.hasSuffix(".partial") }.isEmpty)
    }

    @Test func abandonedTemporariesOfDeadProcessesAreRemoved() throws {
        let workspace = try TestWorkspace()
        let store = ContentStore(root: workspace.outputRoot)
        try FileIO.createDirectory(store.temporaryDirectory)
        let dead = "\(store.temporaryDirectory)/abc.999999.1.partial"  // no such pid
        let live = "\(store.temporaryDirectory)/abc.\(getpid()).2.partial"
        try Data([1]).write(to: URL(fileURLWithPath: dead))
        try Data([1]).write(to: URL(fileURLWithPath: live))
        store.removeAbandonedTemporaries()
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
    }
}

@Suite(.timeLimit(.minutes(5))) struct GroupSyncTests {
    /// Opens a fresh file in `workspace` with a few bytes written.
    func writtenFile(_ workspace: TestWorkspace, _ name: String) throws -> Int32 {
        let fd = open(workspace.url.appendingPathComponent(name).path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        #expect(write(fd, name, name.utf8.count) == name.utf8.count)
        return fd
    }

    /// Callers that arrive while a sync runs share the next one: 1 + 1 syncs for 16 files, not 16.
    /// (Callers are threads, as in the store: they block, which tasks on the shared pool must not.)
    @Test func callersDuringASyncShareTheNextOne() throws {
        let workspace = try TestWorkspace()
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let calls = Locked(0)
        let group = GroupSync(syncFileSystem: { _ in
            if calls.withLock({
                $0 += 1
                return $0
            }) == 1 {
                entered.signal()
                release.wait()
            }
            return 0
        })
        let done = DispatchGroup()
        let failures = Locked(0)
        func durable(_ name: String) throws {
            let fd = try writtenFile(workspace, name)
            done.enter()
            Thread {
                do { try group.makeDurable(fd, path: name) } catch { failures.withLock { $0 += 1 } }
                close(fd)
                done.leave()
            }.start()
        }
        try durable("first")
        entered.wait()
        for index in 0..<15 { try durable("file\(index)") }
        let deadline = Date().addingTimeInterval(30)
        while group.waitingCount < 15 && Date() < deadline { usleep(2000) }
        #expect(group.waitingCount == 15)
        release.signal()
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(group.syncCount == 2)
        #expect(failures.withLock { $0 } == 0, "no caller failed")
    }

    /// A failed group sync is not trusted: each of its files is fsynced on its own.
    @Test func aFailedGroupSyncFallsBackToTheFilesOwnSync() throws {
        let workspace = try TestWorkspace()
        let group = GroupSync(syncFileSystem: { _ in -1 })
        let fd = try writtenFile(workspace, "a")
        try group.makeDurable(fd, path: "a")
        close(fd)
        // The fallback reports the file's own error: here, fsync of a pipe (EINVAL). A pipe, not a
        // closed descriptor: tests run in parallel, and a closed number can be reused at once.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        #expect(throws: FileIO.Failure.self) { try group.makeDurable(ends[0], path: "pipe") }
        #expect(group.syncCount == 2)
    }
}
