import Foundation
import Testing

@testable import NanobatchCore

/// Chromium from Debian's packages (`Tests/install-chromium.sh`), if installed.
let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/local/bin/chromium"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// Runs the browser headless and returns what it printed; gives up after `timeout` seconds.
func runBrowser(_ arguments: [String], profile: URL, timeout: Double = 90) throws -> (status: Int32, out: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(chromiumPath))
    process.arguments =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--allow-file-access-from-files", "--user-data-dir=\(profile.path)",
        ] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.timeLimit(.minutes(5))) struct BrowserPageTests {
    @Test(.enabled(if: chromiumPath != nil, "Chromium is not installed: run Tests/install-chromium.sh (CI's .ci/run does)"))
    func everyThumbnailLoadsInItsGridCell() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        let page = workspace.outputRoot.appendingPathComponent("example/index.html")
        let profile = workspace.url.appendingPathComponent("browser-profile")

        let dump = try await offPool {
            try runBrowser(["--virtual-time-budget=10000", "--dump-dom", page.absoluteString], profile: profile)
        }
        #expect(dump.status == 0)
        let dom = dump.out
        let index = try readIndex(workspace, manifest: "example")
        let jobs = index.jobRows.count
        let marker = dom.range(of: #"data-thumbnails="[^"]*""#, options: .regularExpression).map { String(dom[$0]) } ?? "none"
        #expect(marker == "data-thumbnails=\"\(jobs)/\(jobs)\"", "every thumbnail should load")
        // The example's grid: hero has 2 models + 2 chained rows × 2 ratios; banner 2 models × 1 ratio.
        #expect(dom.components(separatedBy: "<td class=\"cell\"").count - 1 == 10)
        #expect(dom.components(separatedBy: "<figure class=\"job made\"").count - 1 == jobs)
        for row in index.jobRows {
            let id = try #require(row["id"]?.stringValue)
            #expect(dom.contains("data-job=\"\(id)\""), "no cell for \(id)")
        }

        let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../screenshots")
            .standardizedFileURL
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let shot = screenshots.appendingPathComponent("example-index.png")
        try? FileManager.default.removeItem(at: shot)
        let capture = try await offPool {
            try runBrowser(
                [
                    "--hide-scrollbars", "--window-size=1280,1800", "--virtual-time-budget=10000",
                    "--screenshot=\(shot.path)", page.absoluteString,
                ], profile: profile)
        }
        #expect(capture.status == 0)
        let info = ImageInspector.inspectFile(at: shot.path)
        #expect(info?.width == 1280 && info?.height == 1800, "screenshot: \(String(describing: info))")
    }
}
