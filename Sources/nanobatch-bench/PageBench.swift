import Foundation

/// `page TOOL CHROMIUM [jobs] [runs]`: the contact sheet of a `jobs`-job build (offline placeholders, 50 prompts ×
/// variants, one ratio) opened in headless Chromium, as a designer opens `index.html`. Measured: the browser's
/// wall time from start until it has printed the page after its load event (best of `runs`), the page's own
/// clock at the end of its script and at `load` (`data-ready-ms`, `data-load-ms`), and the browser's start
/// alone (about:blank) for scale. The target, ≤ 2 s, is on the page's load event (from navigation start), which
/// the browser's start-up does not count in; the whole wall time is reported beside it.
func page(tool: String, chromium: String, jobs: Int, runs: Int) throws -> Bool {
    let folder = try temporaryFolder("page")
    let path = try offlineManifest(name: "page", jobs: jobs, in: folder)
    let out = folder.appendingPathComponent("out").path
    let fill = try measure(tool, ["run", path.path, "--output", out, "--quiet"])
    let html = URL(fileURLWithPath: "\(out)/page/index.html")
    guard fill.status == 0, let size = try? FileManager.default.attributesOfItem(atPath: html.path)[.size] as? Int else {
        result("contact sheet \(jobs) jobs", "the build failed", target: "", ok: false)
        return false
    }
    let profile = folder.appendingPathComponent("profile").path
    func open(_ url: String) throws -> (wall: Double, dom: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--allow-file-access-from-files",
            "--user-data-dir=\(profile)", "--window-size=1280,900", "--dump-dom", url,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, String(decoding: data, as: UTF8.self))
    }
    func marker(_ name: String, _ dom: String) -> String {
        guard let range = dom.range(of: "\(name)=\"[0-9]+\"", options: .regularExpression) else { return "?" }
        return String(dom[range].dropFirst(name.count + 2).dropLast())
    }
    _ = try open("about:blank")  // the profile's first start
    let blank = try (0..<runs).map { _ in try open("about:blank").wall }.min() ?? 0
    var best: (wall: Double, dom: String)?
    for _ in 0..<runs {
        let run = try open(html.absoluteString)
        if best == nil || run.wall < best!.wall { best = run }
    }
    let opened = best!
    let complete = opened.dom.contains("data-jobs=\"\(jobs)\"") && opened.dom.contains("</html>")
    let loaded = Double(marker("data-load-ms", opened.dom)).map { $0 / 1000 }
    let ok = complete && (loaded ?? .infinity) <= 2.0
    result(
        "contact sheet \(jobs) jobs in headless Chromium",
        String(
            format:
                "load event at %@ ms (script ran at %@ ms); browser start to printed page %.2f s, about:blank alone %.2f s; page %.1f MB",
            marker("data-load-ms", opened.dom), marker("data-ready-ms", opened.dom), opened.wall, blank, Double(size) / 1e6),
        target: "load ≤ 2 s", ok: ok)
    return ok
}
