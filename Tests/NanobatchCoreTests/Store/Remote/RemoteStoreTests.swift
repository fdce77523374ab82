import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// A manifest of `count` offline jobs (two ratios per prompt) on a provider `local`.
func remoteStoreManifest(prompts count: Int = 2, latencyMs: Int = 0, concurrency: Int = 4, extra: String = "") -> String {
    let prompts = (0..<count).map { #"{ "id": "p\#($0)", "text": "A cube number \#($0)" }"# }.joined(separator: ", ")
    return """
        { "version": 1, "name": "shared",
          "providers": { "local": { "dialect": "offline", "latencyMs": \(latencyMs), "concurrency": \(concurrency) } },
          "matrix": { "prompts": [\(prompts)], "aspectRatios": ["1:1", "16:9"], "models": ["local:m"] }\(extra) }
        """
}

/// The in-process CLI against a remote store served from memory over loopback HTTP: publishing,
/// restoring, `plan`, credentials and the refusals that come before any paid request.
@Suite(.timeLimit(.minutes(1))) struct RemoteStoreTests {
    /// Offline jobs, each call counted.
    static func counted(_ probe: ConcurrencyProbe) -> @Sendable (ProviderConfig) -> (any ImageProvider)? {
        { config in ProbedProvider(inner: OfflineProvider(), probe: probe, name: config.name) }
    }

    @Test func whatOneOutputRootMadeAnotherFetchesInsteadOfMaking() async throws {
        let store = try MemoryCacheServer()
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shared.json", remoteStoreManifest())
        let (first, second) = (workspace.url.appendingPathComponent("a").path, workspace.url.appendingPathComponent("b").path)
        let probe = ConcurrencyProbe()
        let made = await runCLI(
            ["run", manifest, "--output", first, "--store", store.url, "--quiet"], providerOverride: Self.counted(probe))
        #expect(made.status == 0, "\(made.err)")
        #expect(probe.callCount == 4)
        let records = store.requests.filter { $0.method == "PUT" && $0.path.hasPrefix("/cache/ac/") }
        let journal = records.filter { String(decoding: $0.body, as: UTF8.self).contains(#""kind":"nanobatch-journal""#) }
        #expect(records.count - journal.count == 4, "one image record per job")
        #expect(journal.count == 8, "two journal records per paid job: its submission, and its end once its image is shared")

        let fetched = await runCLI(
            ["run", manifest, "--output", second, "--store", store.url, "--quiet"], providerOverride: Self.counted(probe))
        #expect(fetched.status == 0, "\(fetched.err)")
        #expect(probe.callCount == 4, "the second root made something again")
        #expect(fetched.err.contains("4 images fetched"), "\(fetched.err)")
        for name in ["p0/local-m_1x1_1K_v1.png", "p1/local-m_16x9_1K_v1.png"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(first)/shared/\(name)"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(second)/shared/\(name)"))
            #expect(a == b, "\(name) differs")
        }
    }

    @Test func pushPutsWhatAFolderMadeBeforeItHadAStoreIntoTheStore() async throws {
        let store = try MemoryCacheServer()
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shared.json", remoteStoreManifest())
        let (first, second) = (workspace.url.appendingPathComponent("a").path, workspace.url.appendingPathComponent("b").path)
        let made = await runCLI(["run", manifest, "--output", first, "--quiet"])
        #expect(made.status == 0, "\(made.err)")
        #expect(store.entryCount == 0)

        let unnamed = await runCLI(["push", manifest, "--output", first])
        #expect(unnamed.status == ExitCode.usage.rawValue && unnamed.err.contains("push needs a remote store"), "\(unnamed.err)")
        let pushed = await runCLI(["push", manifest, "--output", first, "--store", store.url])
        #expect(pushed.status == 0, "\(pushed.err)")
        #expect(pushed.out.contains("4 images put into"), "\(pushed.out)")
        let again = await runCLI(["push", manifest, "--output", first, "--store", store.url])
        #expect(again.out.contains("0 images put into") && again.out.contains("4 there already"), "\(again.out)")

        // Another folder now fetches all of it and makes nothing.
        let probe = ConcurrencyProbe()
        let fetched = await runCLI(
            ["run", manifest, "--output", second, "--store", store.url, "--quiet"], providerOverride: Self.counted(probe))
        #expect(fetched.status == 0, "\(fetched.err)")
        #expect(probe.callCount == 0, "the pushed images were made again")
        #expect(fetched.err.contains("4 images fetched"), "\(fetched.err)")
    }

    /// A store, and the offline manifest's 4 jobs made into it from the output root `a` of a workspace.
    func storeFilledFromFolderA() async throws -> (MemoryCacheServer, TestWorkspace, String) {
        let store = try MemoryCacheServer()
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shared.json", remoteStoreManifest())
        let made = await runCLI([
            "run", manifest, "--output", workspace.url.appendingPathComponent("a").path, "--store", store.url, "--quiet",
        ])
        #expect(made.status == 0, "\(made.err)")
        return (store, workspace, manifest)
    }

    /// Free jobs are never journaled, so a run does not look their journal records up.
    @Test func aRunOfFreeJobsLooksUpNoJournalRecord() async throws {
        let store = try MemoryCacheServer()
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shared.json", remoteStoreManifest())
        let made = await runCLI([
            "run", manifest, "--output", workspace.outputRoot.path, "--store", store.url, "--quiet",
        ])
        #expect(made.status == 0, "\(made.err)")
        let keys = try readIndex(workspace, manifest: "shared").jobRows.compactMap { $0["key"]?.stringValue }
        let journalPaths = Set(keys.map { "/cache/ac/" + MirroredJournalRecord.name(for: $0) })
        #expect(keys.count == 4)
        let journalReads = store.requests.filter { $0.method == "GET" && journalPaths.contains($0.path) }
        #expect(journalReads.isEmpty, "journal records of free jobs were looked up: \(journalReads.map(\.path))")
    }

    @Test func explainCountsWhatTheRemoteStoreHasAsCached() async throws {
        let (store, workspace, manifest) = try await storeFilledFromFolderA()
        let empty = workspace.url.appendingPathComponent("b").path
        let without = await runCLI(["explain", manifest, "--output", empty])
        #expect(without.out.contains("4 of 4 jobs would be made"), "\(without.out)")
        let with = await runCLI(["explain", manifest, "--output", empty, "--store", store.url])
        #expect(with.status == 0, "\(with.err)")
        #expect(with.out.contains("0 of 4 jobs would be made"), "\(with.out)")
        #expect(with.err.contains("has 4 jobs not cached here"), "\(with.err)")
    }

    @Test func anErrorPageIsShownAsOneShortLine() {
        let nginx =
            "<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n</body>\r\n</html>"
        #expect(RemoteStoreClient.readable(nginx) == "405 Not Allowed")
        #expect(RemoteStoreClient.readable("<p>no  <b>space</b>\nleft</p>") == "no space left")
        #expect(RemoteStoreClient.readable("plain refusal") == "plain refusal")
    }

    @Test func planCountsWhatTheRemoteStoreHasWithoutFetchingAnImage() async throws {
        let (store, workspace, manifest) = try await storeFilledFromFolderA()
        let before = store.requests.count
        let empty = workspace.url.appendingPathComponent("b").path
        let plan = await runCLI(["plan", manifest, "--output", empty], environment: [RemoteStoreSettings.urlVariable: store.url])
        #expect(plan.status == 0, "\(plan.err)")
        #expect(plan.err.contains("has 4 jobs not cached here"), "\(plan.err)")
        #expect(plan.out.contains("4 cached, 0 to make"), "\(plan.out)")
        let asked = store.requests.dropFirst(before)
        #expect(asked.allSatisfy { $0.method == "GET" && $0.path.hasPrefix("/cache/ac/") }, "\(asked.map(\.target))")
        #expect(!FileManager.default.fileExists(atPath: "\(empty)/.nanobatch/store"))
    }

    @Test func theAuthorizationHeaderGoesOnlyToTheStoreAndIsNeverPrinted() async throws {
        let secret = "Bearer nb-store-secret-\(UUID().uuidString.prefix(8))"
        let elsewhere = Locked<[ReceivedRequest]>([])
        let other = try LoopbackServer { request in
            elsewhere.withLock { $0.append(request) }
            return ServerReply(status: 404)
        }
        defer { other.stop() }
        let store = try MemoryCacheServer()
        // Records are redirected to another origin; writes are refused with the credential echoed back.
        store.intercept { request in
            if request.method == "GET", request.path.hasPrefix("/cache/ac/") {
                return ServerReply(status: 302, headers: ["Location": other.baseURL + request.path])
            }
            if request.method == "PUT" {
                return ServerReply(status: 403, body: Data("denied for \(request.headers["authorization"] ?? "")".utf8))
            }
            return nil
        }
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "shared.json", remoteStoreManifest(extra: #", "store": { "url": "\#(store.url)", "authorizationEnv": "SHARED_STORE_AUTH" }"#))
        let environment = ["SHARED_STORE_AUTH": secret]
        let plan = await runCLI(["plan", manifest, "--output", workspace.outputRoot.path], environment: environment)
        #expect(plan.status == 0, "\(plan.err)")
        #expect(store.requests.allSatisfy { $0.headers["authorization"] == secret })
        #expect(!elsewhere.withLock { $0 }.isEmpty, "the redirect was not followed")
        #expect(elsewhere.withLock { $0 }.allSatisfy { $0.headers["authorization"] == nil }, "the credential left the store's origin")

        let probe = ConcurrencyProbe()
        let run = await runCLI(
            ["run", manifest, "--output", workspace.outputRoot.path], environment: environment, providerOverride: Self.counted(probe))
        #expect(run.status == ExitCode.cannotContinue.rawValue, "\(run.err)")
        #expect(run.err.contains("HTTP 403 (the store refuses writes)") && run.err.contains("nothing was run"), "\(run.err)")
        #expect(!run.err.contains(secret.dropFirst("Bearer ".count)), "the credential was printed: \(run.err)")
        #expect(probe.callCount == 0)
    }

    @Test func corruptBytesFromTheStoreAreAnErrorAndNeverStored() async throws {
        let store = try MemoryCacheServer()
        let workspace = try TestWorkspace()
        let manifest = try workspace.write("shared.json", remoteStoreManifest(prompts: 1))
        let made = await runCLI([
            "run", manifest, "--output", workspace.url.appendingPathComponent("a").path, "--store", store.url, "--quiet",
        ])
        #expect(made.status == 0, "\(made.err)")
        let blobs = store.requests.filter { $0.method == "PUT" && $0.path.hasPrefix("/cache/cas/") }.map {
            String($0.path.dropFirst("/cache/".count))
        }
        for blob in blobs { store[blob] = Data((store[blob] ?? Data()).map { $0 ^ 0x5A }) }

        let probe = ConcurrencyProbe()
        let fresh = workspace.url.appendingPathComponent("b")
        let run = await runCLI(["run", manifest, "--output", fresh.path, "--store", store.url], providerOverride: Self.counted(probe))
        #expect(run.status == ExitCode.cannotContinue.rawValue, "\(run.err)")
        #expect(run.err.contains("corrupt; nothing was stored or linked"), "\(run.err)")
        #expect(probe.callCount == 0)
        let images = (FileManager.default.enumerator(atPath: fresh.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }
        #expect(images.isEmpty, "\(images)")
    }

    @Test func aStoreThatFailsOnceIsAskedAgain() async throws {
        let store = try MemoryCacheServer()
        let failures = Locked(2)
        store.intercept { _ in
            failures.withLock { left in
                guard left > 0 else { return nil }
                left -= 1
                return ServerReply(status: 503)
            }
        }
        let client = RemoteStoreClient(
            settings: RemoteStoreSettings(
                url: URL(string: store.url)!,
                policy: RemoteStorePolicy(
                    requestTimeout: .seconds(5),
                    retry: RetryPolicy(
                        maxAttempts: 3, initialDelay: 0.01, multiplier: 1, maximumDelay: 0.01, jitter: 0, longestHonouredWait: 1),
                    concurrency: 2, maxImageBytes: 1 << 20, maxRecordBytes: 1 << 10)),
            transport: StandardTransport(environment: [:], plainHTTP: nil))
        try await client.probeWrite()
        #expect(client.requestsSent == 4)
    }

    @Test func theStoreIsTheOptionThenTheVariableThenTheManifest() throws {
        let manifest = StoreConfig(url: "https://manifest.example/nb")
        func resolved(_ option: String?, _ environment: [String: String]) throws -> String? {
            try RemoteStoreSettings.resolve(option: option, environment: environment, manifest: manifest)?.url.absoluteString
        }
        #expect(try resolved("http://option.example/x/", ["NANOBATCH_STORE": "http://env.example"]) == "http://option.example/x")
        #expect(try resolved(nil, ["NANOBATCH_STORE": "http://env.example"]) == "http://env.example")
        #expect(try resolved(nil, [:]) == "https://manifest.example/nb")
        #expect(throws: UsageError.self) { try resolved("https://user:pw@host.example", [:]) }
        #expect(throws: UsageError.self) { try resolved("ftp://host.example", [:]) }
        #expect(
            throws: UsageError.self,
            performing: {
                try RemoteStoreSettings.resolve(
                    option: nil, environment: [:], manifest: StoreConfig(url: "http://h", authorizationEnv: "MISSING_AUTH"))
            })
    }
}
