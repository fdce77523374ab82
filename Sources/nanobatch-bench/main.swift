import Foundation
import LoopbackHTTP
import NanobatchCore

#if canImport(Glibc)
    import Glibc
#endif

// One benchmark per invocation, so the child's resource usage is its own:
//   nanobatch-bench throughput sync|async TOOL [jobs] [concurrency] [latencyMs]
//   nanobatch-bench throughput-https sync|async TOOL TLSDIR [jobs] [concurrency] [latencyMs] [h1|h2]   (TLSDIR: test-ca.sh make)
//   nanobatch-bench plan TOOL [jobs]
//   nanobatch-bench noop TOOL NINJA [jobs] [runs]
//   nanobatch-bench memory TOOL [jobs] [concurrency]
//   nanobatch-bench rate-limit TOOL [jobs] [concurrency] [limit/s] [latencyMs]     (RateBench.swift)
//   nanobatch-bench rate-noise TOOL [jobs] [concurrency] [latencyMs] [429 %]
//   nanobatch-bench page TOOL CHROMIUM [jobs] [runs]                                (PageBench.swift)
//   nanobatch-bench remote-store TOOL [jobs]                                         (RemoteStoreBench.swift)
// Each prints one result line (`RESULT name | value | target | ok`) and exits 1 when its target is missed.

struct Measured {
    /// `DispatchTime` uptime nanoseconds when the child was started and when it had ended.
    var started: UInt64
    var ended: UInt64
    var wall: Double
    var userCPU: Double
    var systemCPU: Double
    var peakKB: Int
    var status: Int32
}

/// Runs the tool as a child process (posix_spawn + wait4: Foundation's Process adds about 50 ms per
/// run here, which would blur a 20 ms no-op) and reads its wall time, CPU and peak memory.
func measure(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Measured {
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    let errorsPath = FileManager.default.temporaryDirectory.appendingPathComponent("bench-stderr-\(getpid())").path
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errorsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv: [UnsafeMutablePointer<CChar>?] = ([tool] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    let start = DispatchTime.now().uptimeNanoseconds
    let spawned = posix_spawn(&pid, tool, &actions, nil, argv, envp)
    guard spawned == 0 else { throw BenchError("cannot start \(tool): \(String(cString: strerror(spawned)))") }
    let peak = PeakMemory(pid: pid)
    var status: Int32 = 0
    var usage = rusage()
    // Waits without reaping, so /proc/<pid> stays readable until the watcher has its last look.
    var info = siginfo_t()
    while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
    let peakKB = peak.stop()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let ended = DispatchTime.now().uptimeNanoseconds
    let wall = Double(ended - start) / 1e9
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    let exitStatus: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    if exitStatus != 0 {
        let errors = (try? Data(contentsOf: URL(fileURLWithPath: errorsPath))) ?? Data()
        FileHandle.standardError.write(Data("tool exited \(exitStatus): \(String(decoding: errors.suffix(2000), as: UTF8.self))\n".utf8))
    }
    return Measured(
        started: start, ended: ended, wall: wall, userCPU: seconds(usage.ru_utime), systemCPU: seconds(usage.ru_stime),
        peakKB: peakKB ?? Int(usage.ru_maxrss),
        status: exitStatus)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The type of the file system under `path`, from /proc/mounts (the tool's cost per new file depends on it).
func fileSystemName(_ path: String) -> String {
    guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "unknown file system" }
    let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    var best = (point: "", type: "unknown file system")
    for line in mounts.split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard fields.count >= 3 else { continue }
        let point = String(fields[1])
        let inside = point == "/" || resolved == point || resolved.hasPrefix(point + "/")
        if inside, point.count >= best.point.count { best = (point, String(fields[2])) }
    }
    return best.type
}

func result(_ name: String, _ value: String, target: String, ok: Bool) {
    print("RESULT \(name) | \(value) | \(target) | \(ok ? "met" : "MISSED")")
}

/// A fresh work folder under TMPDIR. Never deleted here: on ext4 without a journal every new file
/// scans past the inodes deleted in the last minutes, so one benchmark's cleanup would slow the next.
/// `run.sh` gives each run its own TMPDIR and removes it at the end.
func temporaryFolder(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nanobatch-bench-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A manifest of `jobs` jobs: prompts × 100 variants (or fewer), one ratio.
/// Writes `m.json` in `folder`: `jobs` offline placeholders at 0.5K (64 at a time), named `name`; returns its path.
func offlineManifest(name: String, jobs: Int, in folder: URL) throws -> URL {
    let path = folder.appendingPathComponent("m.json")
    try manifest(
        name: name, provider: #"{ "api": { "dialect": "offline", "concurrency": 64 } }"#, jobs: jobs, concurrency: 64,
        model: "nano-banana-2", extraMatrix: #", "imageSize": "0.5K""#
    ).write(to: path, atomically: true, encoding: .utf8)
    return path
}

func manifest(name: String, provider: String, jobs: Int, concurrency: Int, model: String, extraMatrix: String = "") -> String {
    let variants = min(100, jobs)
    let prompts = (0..<(jobs / variants)).map { #"{ "id": "p\#($0)", "text": "Benchmark prompt \#($0)" }"# }.joined(separator: ",\n")
    return """
        { "version": 1, "name": "\(name)", "concurrency": \(concurrency),
          "providers": \(provider),
          "matrix": { "prompts": [\(prompts)], "aspectRatios": ["1:1"], "models": ["api:\(model)"], "variants": \(variants)\(extraMatrix) } }
        """
}

func smallPNG() -> Data {
    PNGEncoder(width: 64, height: 64).encode { y, row in
        for x in 0..<64 {
            row[3 * x] = UInt8(x * 4)
            row[3 * x + 1] = UInt8(y * 4)
        }
    }
}

/// Noise (incompressible) PNG of about `side × side × 3` bytes.
func noisePNG(side: Int) -> Data {
    var state: UInt32 = 2_463_534_242
    return PNGEncoder(width: side, height: side).encode { _, row in
        for i in 0..<row.count {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            row[i] = UInt8(truncatingIfNeeded: state)
        }
    }
}

// MARK: Benchmarks

/// With `tlsFolder`, the tool reaches the server over `https://` through an nginx TLS proxy (`TLSProxy`).
func throughput(async: Bool, tool: String, jobs: Int, concurrency: Int, latencyMs: Int, tlsFolder: String? = nil, http2: Bool = false)
    throws -> Bool
{
    let png = smallPNG()
    let latency = useconds_t(latencyMs * 1000)
    let tasks = TaskTable()
    // Encoded once: the provider's own work is not on this machine's cores in real use.
    let syncAnswer = ServerReply.json(#"{"created":1,"data":[{"b64_json":"\#(png.base64EncodedString())"}]}"#)
    let server = try LoopbackServer { request in
        usleep(latency)
        if !async { return syncAnswer }
        if request.path == "/gemini/image/generate" { return .json(#"{"taskId":"\#(tasks.create())"}"#, status: 201) }
        if request.path == "/gemini/task/result", let id = request.query["taskId"] {
            let scheme = request.headers["x-forwarded-proto"] ?? "http"
            // Two polls per task, as the issue states: the first finds it processing, the second completed.
            return tasks.poll(id) < 1
                ? .json(#"{"taskId":"\#(id)","status":"processing"}"#)
                : .json(
                    #"{"taskId":"\#(id)","status":"completed","result":{"imageUrls":["\#(scheme)://127.0.0.1:\#(request.headers["host"]?.split(separator: ":").last ?? "0")/files/\#(id).png"]}}"#
                )
        }
        return ServerReply(status: 200, headers: ["Content-Type": "image/png"], body: png)
    }
    defer { server.stop() }
    let proxy = try tlsFolder.map { try TLSProxy(upstreamPort: server.port, tlsFolder: $0, http2: http2) }
    defer { proxy?.stop() }
    let baseURL = proxy?.baseURL ?? server.baseURL
    let folder = try temporaryFolder(async ? "async" : "sync")
    let poll = 0.001
    let provider =
        async
        ? #"{ "api": { "dialect": "mountsea", "baseURL": "\#(baseURL)", "apiKeyEnv": "BENCH_KEY", "concurrency": \#(concurrency), "pollSeconds": \#(poll) } }"#
        : #"{ "api": { "dialect": "openai-images", "baseURL": "\#(baseURL)", "apiKeyEnv": "BENCH_KEY", "concurrency": \#(concurrency), "responseFormat": "b64_json" } }"#
    let path = folder.appendingPathComponent("m.json")
    try manifest(
        name: "bench", provider: provider, jobs: jobs, concurrency: concurrency,
        model: async ? "nano-banana-fast" : "nano-banana"
    ).write(to: path, atomically: true, encoding: .utf8)
    let proxyCPU = proxy?.cpuSeconds ?? 0
    let serverCPU = processCPUSeconds()
    let run = try measure(
        tool, ["run", path.path, "--output", folder.appendingPathComponent("out").path, "--quiet"],
        environment: ["BENCH_KEY": "bench-key"])
    let proxyUsed = (proxy?.cpuSeconds ?? 0) - proxyCPU
    let serverUsed = processCPUSeconds() - serverCPU
    proxy?.stop()
    // Requests per job and the waits between polls are part of the ideal.
    let perJob = async ? 4 * Double(latencyMs) / 1000 + poll + poll * 1.5 : Double(latencyMs) / 1000
    let ideal = Double(jobs) / Double(concurrency) * perJob
    let efficiency = ideal / run.wall
    let name =
        (async ? "throughput async (create, 2 polls, download)" : "throughput sync")
        + (proxy == nil ? "" : http2 ? " over https (HTTP/2)" : " over https (HTTP/1.1)")
        + ", work folder on \(fileSystemName(folder.path))"
    result(
        name, String(format: "%.3f (ideal %.2f s, measured %.2f s, %d requests)", efficiency, ideal, run.wall, server.requestsServed),
        target: "≥ 0.90", ok: efficiency >= 0.90 && run.status == 0)
    // Where the time beyond the ideal went: before the first request, between the first request and
    // the last reply (the requests themselves), after the last reply (reports, exit).
    func since(_ from: UInt64, _ to: UInt64) -> Double { to > from ? Double(to - from) / 1e9 : 0 }
    result(
        "  time split",
        String(
            format: "%.3f s to the first request, %.3f s of requests, %.3f s after the last reply",
            since(run.started, server.firstRequestAt), since(server.firstRequestAt, server.lastReplyAt),
            since(server.lastReplyAt, run.ended)), target: "reported", ok: true)
    let cpu = (run.userCPU + run.systemCPU) / Double(jobs) * 1000
    result(
        "CPU per 1000 jobs, \(async ? "async" : "sync"), \(fileSystemName(folder.path))",
        String(format: "%.2f s (user %.2f + sys %.2f for %d jobs)", cpu, run.userCPU, run.systemCPU, jobs),
        target: "reported", ok: true)
    result(
        "  CPU of the other side",
        String(format: "provider server %.2f s", serverUsed) + (proxy == nil ? "" : String(format: ", nginx TLS proxy %.2f s", proxyUsed)),
        target: "reported", ok: true)
    if let proxy { result("  TLS", proxy.connectionsUsed(), target: "reported", ok: true) }
    if let proxy, run.status != 0 { FileHandle.standardError.write(Data("nginx: \(proxy.errorLog.suffix(2000))\n".utf8)) }
    return efficiency >= 0.90 && run.status == 0
}

/// User + system CPU seconds of this process (the loopback servers run on its threads).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

final class TaskTable: @unchecked Sendable {
    private let lock = NSLock()
    private var polls: [String: Int] = [:]
    private var next = 0
    func create() -> String {
        lock.withLock {
            next += 1
            polls["t\(next)"] = 0
            return "t\(next)"
        }
    }
    func poll(_ id: String) -> Int {
        lock.withLock {
            let seen = polls[id, default: 0]
            polls[id] = seen + 1
            return seen
        }
    }
}

func plan(tool: String, jobs: Int) throws -> Bool {
    let folder = try temporaryFolder("plan")
    let path = folder.appendingPathComponent("m.json")
    try manifest(name: "plan", provider: #"{ "api": { "dialect": "offline" } }"#, jobs: jobs, concurrency: 16, model: "nano-banana-2")
        .write(to: path, atomically: true, encoding: .utf8)
    var best: Measured?
    for _ in 0..<3 {
        let run = try measure(tool, ["plan", path.path, "--output", folder.appendingPathComponent("out").path])
        if best == nil || run.wall < best!.wall { best = run }
    }
    let run = best!
    let ok = run.wall <= 1.0 && run.peakKB <= 150 * 1024 && run.status == 0
    result("plan \(jobs) jobs", String(format: "%.2f s, %d MB peak", run.wall, run.peakKB / 1024), target: "≤ 1 s, ≤ 150 MB", ok: ok)
    return ok
}

func noop(tool: String, ninja: String, jobs: Int, runs: Int) throws -> Bool {
    let folder = try temporaryFolder("noop-\(jobs)")
    let path = try offlineManifest(name: "noop", jobs: jobs, in: folder)
    let out = folder.appendingPathComponent("out").path
    let fill = try measure(tool, ["run", path.path, "--output", out, "--quiet"])
    guard fill.status == 0 else {
        result("no-op rebuild \(jobs)", "first build failed", target: "", ok: false)
        return false
    }
    // ninja: the same number of targets, all up to date.
    let ninjaFolder = folder.appendingPathComponent("ninja")
    try FileManager.default.createDirectory(at: ninjaFolder, withIntermediateDirectories: true)
    var build = "rule touch\n  command = touch $out\n"
    for index in 0..<jobs { build += "build t\(index): touch\n" }
    try build.write(to: ninjaFolder.appendingPathComponent("build.ninja"), atomically: true, encoding: .utf8)
    _ = try measure(ninja, ["-C", ninjaFolder.path, "-j", "64"])
    // The first rebuild after a build that made images checks everything (plan, store, reports) and,
    // finding all cached, stamps the build; the runs measured below find the stamp holding.
    let check = try measure(tool, ["run", path.path, "--output", out, "--quiet"])
    let stamped = FileManager.default.fileExists(atPath: "\(out)/.nanobatch/stamps/noop.stamp")
    var ours: [Double] = []
    var theirs: [Double] = []
    for _ in 0..<runs {
        ours.append(try measure(tool, ["run", path.path, "--output", out, "--quiet"]).wall)
        theirs.append(try measure(ninja, ["-C", ninjaFolder.path, "-j", "64"]).wall)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let ratio = median(ours) / median(theirs)
    let ok = ratio <= 1.0 && stamped && check.status == 0
    result(
        "no-op rebuild \(jobs) jobs",
        String(format: "nanobatch %.3f s, ninja %.3f s, ratio %.2f (median of %d)", median(ours), median(theirs), ratio, runs),
        target: "ratio ≤ 1.0", ok: ok)
    result(
        "  first rebuild after making, \(jobs) jobs",
        String(
            format: "%.3f s full check (ratio %.1f to ninja), %d MB; stamp %@",
            check.wall, check.wall / median(theirs), check.peakKB / 1024, stamped ? "written" : "MISSING"),
        target: "reported", ok: stamped)
    return ok
}

func memory(tool: String, jobs: Int, concurrency: Int) throws -> Bool {
    let image = noisePNG(side: 1200)
    let server = try LoopbackServer { request in
        if request.method == "POST" {
            let host = request.headers["host"] ?? "127.0.0.1"
            return .json(#"{"created":1,"data":[{"url":"http://\#(host)/files/image.png"}]}"#)
        }
        return ServerReply(status: 200, headers: ["Content-Type": "image/png"], body: image)
    }
    defer { server.stop() }
    let folder = try temporaryFolder("memory")
    let path = folder.appendingPathComponent("m.json")
    let provider =
        #"{ "api": { "dialect": "openai-images", "baseURL": "\#(server.baseURL)", "apiKeyEnv": "BENCH_KEY", "concurrency": \#(concurrency) } }"#
    try manifest(name: "memory", provider: provider, jobs: jobs, concurrency: concurrency, model: "nano-banana")
        .write(to: path, atomically: true, encoding: .utf8)
    let run = try measure(
        tool, ["run", path.path, "--output", folder.appendingPathComponent("out").path, "--quiet"],
        environment: ["BENCH_KEY": "bench-key"])
    let ok = run.peakKB <= 250 * 1024 && run.status == 0
    result(
        "memory, \(jobs) jobs of \(image.count / 1_000_000) MB PNGs at c\(concurrency)",
        String(format: "%d MB peak (%.1f s)", run.peakKB / 1024, run.wall), target: "≤ 250 MB", ok: ok)
    return ok
}

let arguments = Array(CommandLine.arguments.dropFirst())
func argument(_ index: Int, _ fallback: Int) -> Int { index < arguments.count ? Int(arguments[index]) ?? fallback : fallback }
do {
    let ok: Bool
    switch arguments.first {
    case "throughput":
        ok = try throughput(
            async: arguments[1] == "async", tool: arguments[2], jobs: argument(3, 2000), concurrency: argument(4, 64),
            latencyMs: argument(5, 50))
    case "throughput-https":
        ok = try throughput(
            async: arguments[1] == "async", tool: arguments[2], jobs: argument(4, 2000), concurrency: argument(5, 64),
            latencyMs: argument(6, 50), tlsFolder: arguments[3], http2: arguments.count > 7 && arguments[7] == "h2")
    case "plan": ok = try plan(tool: arguments[1], jobs: argument(2, 100_000))
    case "noop": ok = try noop(tool: arguments[1], ninja: arguments[2], jobs: argument(3, 10_000), runs: argument(4, 5))
    case "memory": ok = try memory(tool: arguments[1], jobs: argument(2, 2000), concurrency: argument(3, 64))
    case "remote-store": ok = try remoteStore(tool: arguments[1], jobs: argument(2, 10_000))
    case "rate-limit":
        ok = try rateLimit(
            tool: arguments[1], jobs: argument(2, 800), concurrency: argument(3, 8), limit: argument(4, 40), latencyMs: argument(5, 5))
    case "rate-noise":
        ok = try rateNoise(
            tool: arguments[1], jobs: argument(2, 400), concurrency: argument(3, 8), latencyMs: argument(4, 5), percent: argument(5, 10))
    case "page": ok = try page(tool: arguments[1], chromium: arguments[2], jobs: argument(3, 5000), runs: argument(4, 3))
    default:
        print(
            "usage: nanobatch-bench throughput sync|async TOOL | throughput-https sync|async TOOL TLSDIR [jobs] [concurrency] [latencyMs] [h1|h2] | plan TOOL | noop TOOL NINJA [jobs] | memory TOOL | rate-limit TOOL [jobs] [concurrency] [limit] [latencyMs] | rate-noise TOOL [jobs] [concurrency] [latencyMs] [percent] | page TOOL CHROMIUM [jobs] [runs] | remote-store TOOL [jobs]"
        )
        exit(2)
    }
    exit(ok ? 0 : 1)
} catch {
    print("benchmark failed: \(error)")
    exit(2)
}
