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
            // A window tall enough that every lazy thumbnail is near the viewport.
            try runBrowser(["--virtual-time-budget=10000", "--window-size=1280,6000", "--dump-dom", page.absoluteString], profile: profile)
        }
        #expect(dump.status == 0)
        let dom = dump.out
        let index = try readIndex(workspace, manifest: "example")
        let jobs = index.jobRows.count
        let marker = dom.range(of: #"data-thumbnails="[^"]*""#, options: .regularExpression).map { String(dom[$0]) } ?? "none"
        #expect(marker == "data-thumbnails=\"\(jobs)/\(jobs)\"", "every thumbnail should load")
        // The example's grid: hero has 2 models + 2 chained rows × 2 ratios × 2 reference sets; banner 2 models × 1 ratio × 2 sets.
        #expect(dom.components(separatedBy: "<td class=\"cell\"").count - 1 == 20)
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

    /// The page as a designer uses it: lazy thumbnails, headers over every sub-column, a highlighted pick,
    /// and the filter (driven through the page's query, as a shared link would) hiding what does not match.
    @Test(.enabled(if: chromiumPath != nil, "Chromium is not installed: run Tests/install-chromium.sh (CI's .ci/run does)"))
    func theFilterHidesRowsAndThePickStandsOut() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        let folder = workspace.outputRoot.appendingPathComponent("example")
        // One image picked, as `nanobatch pick` records it; the page rendered again from the index.
        var report = try JSONDecoder().decode(IndexReport.self, from: Data(contentsOf: folder.appendingPathComponent("index.json")))
        let pick = try #require(report.jobs.firstIndex { $0.aspectRatio == "16:9" && $0.model == "nano-banana-2" && $0.step == nil })
        report.jobs[pick].isPick = true
        try HTMLReport.renderBytes(report, manifestFile: path).data.write(to: folder.appendingPathComponent("index.html"))
        let page = folder.appendingPathComponent("index.html").absoluteString
        let profile = workspace.url.appendingPathComponent("browser-profile")

        let dump = try await offPool {
            try runBrowser(
                ["--virtual-time-budget=10000", "--window-size=1280,6000", "--dump-dom", page + "?ratio=16:9&model=local:nano-banana-2"],
                profile: profile)
        }
        #expect(dump.status == 0)
        let dom = dump.out
        let images = dom.components(separatedBy: "<img ").dropFirst()
        #expect(images.count == report.jobs.count)
        #expect(images.allSatisfy { $0.contains("loading=\"lazy\"") && $0.contains("decoding=\"async\"") })
        #expect(dom.contains("<tr class=\"sub refs\"><th scope=\"row\">reference set</th>"))
        #expect(dom.contains("<tr class=\"sub variant\">") && dom.contains("<tr class=\"sub take\">"))
        #expect(dom.contains("<figure class=\"job made pick\" data-job=\"\(report.jobs[pick].id)\""))
        #expect(dom.contains("★ picked"))
        // The filter: only nano-banana-2's 16:9 images stay; every other figure, and every row left empty, is hidden.
        let figures = try Regex(#"<figure [^>]*>"#)
        var shown = 0
        for match in dom.matches(of: figures) {
            let tag = String(dom[match.range])
            let matches = tag.contains("data-ratio=\"16:9\"") && tag.contains("data-model=\"local:nano-banana-2\"")
            #expect(tag.contains("hidden") != matches, "\(tag)")
            if matches { shown += 1 }
        }
        let expected = report.jobs.filter { $0.aspectRatio == "16:9" && $0.model == "nano-banana-2" }.count
        #expect(shown == expected && expected > 0)
        #expect(dom.contains("<output id=\"shown\">\(expected) of \(report.jobs.count) shown</output>"))
        let rows = dom.matches(of: try Regex(#"<tr[^>]*><th class="model""#)).map { String(dom[$0.range]) }
        #expect(rows.count > 2)
        #expect(rows.filter { !$0.contains("hidden") }.count == 2, "banner's and hero's nano-banana-2 rows: \(rows)")
        #expect(rows.filter { $0.contains("class=\"step\"") }.allSatisfy { $0.contains("hidden") }, "the night step is 1:1 only")
    }

    /// Above `openGroupsUpTo` jobs, groups start closed with their grids as inert templates: a link to one group
    /// opens and fills only that one (only its images are in the page), and the filter reaches the closed ones too.
    @Test(.enabled(if: chromiumPath != nil, "Chromium is not installed: run Tests/install-chromium.sh (CI's .ci/run does)"))
    func aBigPageFillsOnlyTheGroupALinkOpens() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        let folder = workspace.outputRoot.appendingPathComponent("example")
        var report = try JSONDecoder().decode(IndexReport.self, from: Data(contentsOf: folder.appendingPathComponent("index.json")))
        let sources = report.jobs.filter { $0.step == nil }
        let count = HTMLReport.openGroupsUpTo + 5
        report.jobs = (0..<count).map { index in
            var row = sources[index % sources.count]
            row.id = "g\(index % 5)/job\(index)"
            row.promptID = "g\(index % 5)"
            return row
        }
        try HTMLReport.renderBytes(report, manifestFile: path).data.write(to: folder.appendingPathComponent("big.html"))
        let page = folder.appendingPathComponent("big.html").absoluteString
        let profile = workspace.url.appendingPathComponent("browser-profile")
        let dump = try await offPool {
            try runBrowser(
                ["--virtual-time-budget=10000", "--window-size=1280,2000", "--dump-dom", page + "?ratio=16:9#p-g3"], profile: profile)
        }
        #expect(dump.status == 0)
        let dom = dump.out
        #expect(dom.contains("<details class=\"prompt\" id=\"p-g3\" open"), "the linked group is open")
        #expect(dom.components(separatedBy: "<template>").count - 1 == 4, "the other four are still templates")
        let inGroup = count / 5
        #expect(
            dom.contains("data-thumbnails=\"") && dom.range(of: "data-thumbnails=\"[0-9]+/\(inGroup)\"", options: .regularExpression) != nil
        )
        var figures = 0
        for match in dom.matches(of: try Regex(#"<figure [^>]*>"#)) {
            let tag = String(dom[match.range])
            figures += 1
            #expect(tag.contains("hidden") != tag.contains("data-ratio=\"16:9\""), "\(tag)")
        }
        #expect(figures == count)
        let shown = report.jobs.filter { $0.aspectRatio == "16:9" }.count
        #expect(dom.contains("<output id=\"shown\">\(shown) of \(count) shown</output>"))
    }
}
