import Foundation
import LoopbackHTTP

/// `remote-store TOOL [jobs]`: a fresh CI runner's night: every job is in a remote store on loopback
/// (an in-memory Bazel-style HTTP cache) and the output folder is empty. One run fills the store;
/// the measured run, into another empty folder, fetches every image (record, then bytes) and makes none.
func remoteStore(tool: String, jobs: Int) throws -> Bool {
    let folder = try temporaryFolder("remote-store")
    let path = try offlineManifest(name: "remote", jobs: jobs, in: folder)
    let store = try MemoryCacheServer()
    let fill = try measure(
        tool, ["run", path.path, "--output", folder.appendingPathComponent("made").path, "--store", store.url, "--quiet"])
    guard fill.status == 0 else {
        result("remote store, \(jobs) cached jobs", "the filling run failed", target: "", ok: false)
        return false
    }
    let before = store.requests.count
    let run = try measure(
        tool, ["run", path.path, "--output", folder.appendingPathComponent("fresh").path, "--store", store.url, "--quiet"])
    let requests = store.requests.count - before
    let ok = run.status == 0 && run.wall <= 30
    result(
        "remote store: \(jobs) cached jobs into an empty folder",
        String(format: "%.2f s, %.2f requests/job, %d MB peak", run.wall, Double(requests) / Double(jobs), run.peakKB / 1024),
        target: "≤ 30 s", ok: ok)
    return ok
}
