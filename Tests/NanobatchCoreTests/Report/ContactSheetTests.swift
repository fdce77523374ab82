import Foundation
import Testing

@testable import NanobatchCore

/// The contact sheet (index.html) as a designer reads it: headers for every sub-column, lazy thumbnails,
/// a table of contents, step prompts, picks, reasons said once, the set's list value, previous images.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ContactSheetTests {
    /// The golden index (two prompts, a chained step, a failure, two reference sets, two ratios) with a
    /// pick, a second take and template values set the way re-rolls, picks and templates fill them.
    static func sampleReport() throws -> IndexReport {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Golden/index.json")
        var report = try JSONDecoder().decode(IndexReport.self, from: Data(contentsOf: url))
        report.jobs[0].isPick = true
        report.jobs[1].take = 2
        report.jobs[1].variables = ["product": "mug", "season": "winter"]
        return report
    }

    static func page(_ report: IndexReport) -> String { HTMLReport.renderBytes(report, manifestFile: "m.json").string }

    /// The page's structure: CSS and script left out, one line per row, figure and list item, so a diff reads.
    static func structure(_ html: String) -> String {
        html.replacingOccurrences(of: #"<style>[\s\S]*?</style>"#, with: "<style>…</style>", options: .regularExpression)
            .replacingOccurrences(of: #"<script>[\s\S]*?</script>"#, with: "<script>…</script>", options: .regularExpression)
            .replacingOccurrences(of: #"(<tr|<figure|<details|<li|<table|<form)"#, with: "\n$1", options: .regularExpression)
    }

    @Test func pageMatchesItsGoldenFile() throws {
        try expectGolden("index.html", Self.structure(Self.page(try Self.sampleReport())))
    }

    @Test func everyImageIsLazyAndEveryColumnHasItsHeaders() throws {
        let report = try Self.sampleReport()
        let html = Self.page(report)
        let images = html.components(separatedBy: "<img ").dropFirst()
        #expect(images.count == report.jobs.filter { $0.file != nil }.count)
        for image in images {
            #expect(image.hasPrefix("src=\""))
            #expect(image.contains("loading=\"lazy\" decoding=\"async\""), "\(image.prefix(120))")
        }
        // hero: 1:1 and 16:9, each split by reference set (none, refs/a.png), variant and take.
        let hero = try #require(html.range(of: "<details class=\"prompt\" id=\"p-hero\"")).lowerBound
        let heroGrid = String(html[hero...]).components(separatedBy: "</details>")[0]
        #expect(heroGrid.contains("<th scope=\"colgroup\" colspan=\"2\">1:1</th>"), "1:1 spans its two sub-columns")
        #expect(heroGrid.contains("<tr class=\"sub refs\"><th scope=\"row\">reference set</th><th scope=\"col\">no references</th>"))
        #expect(heroGrid.contains("<th scope=\"col\">refs/a.png</th>"))
        #expect(heroGrid.contains("<tr class=\"sub variant\"><th scope=\"row\">variant</th><th scope=\"col\">v1</th>"))
        #expect(heroGrid.contains("<th scope=\"col\">take 2</th>"))
        #expect(heroGrid.contains("<tr class=\"sub values\"><th scope=\"row\">values</th>"))
        #expect(heroGrid.contains("<th scope=\"col\">product=mug · season=winter</th>"))
    }

    @Test func stepRowsShowTheirPromptAndLinkTheirSource() throws {
        let report = try Self.sampleReport()
        let html = Self.page(report)
        #expect(
            html.contains(
                "<tr class=\"step\"><th class=\"model\" scope=\"row\">night · local:nano-banana-2<p class=\"step-prompt\">Same, at night</p></th>"
            ))
        let step = try #require(report.jobs.first { $0.step != nil && $0.upstream != nil })
        let source = try #require(report.jobs.first { $0.id == step.upstream })
        #expect(html.contains("<span class=\"source\">from <a href=\"\(HTMLReport.path(source.file ?? ""))\">\(source.id)</a></span>"))
        // index.csv says the step prompt too.
        let csv = CSVReport.renderBytes(report).string
        #expect(csv.split(separator: "\r\n")[0].hasSuffix(",take,isPick,stepPrompt,var:product,var:season"))
        #expect(csv.contains("\(step.id),hero,night,"))
        #expect(csv.split(separator: "\r\n").first { $0.hasPrefix(step.id) }?.hasSuffix(",1,false,\"Same, at night\",,") == true)
    }

    @Test func tableOfContentsLinksEveryPromptsGroup() throws {
        let html = Self.page(try Self.sampleReport())
        #expect(html.contains("<nav class=\"toc\"><h2>Prompts</h2><ol><li><a href=\"#p-hero\">hero</a> <small>8 jobs</small></li>"))
        #expect(html.contains("<li><a href=\"#p-shelf\">shelf</a> <small>4 jobs, <span class=\"failed\">4 failed</span></small></li>"))
        #expect(html.contains("<details class=\"prompt\" id=\"p-shelf\" open>"))
        #expect(HTMLReport.anchor("hero night/é") == "p-hero_20night_2F_C3_A9")
    }

    @Test func picksAreMarkedAndEveryImageHasACopyPickCommand() throws {
        let report = try Self.sampleReport()
        let html = Self.page(report)
        let pick = report.jobs[0].id
        #expect(html.contains("<figure class=\"job made pick\" data-job=\"\(pick)\""))
        #expect(html.components(separatedBy: " pick\" data-job=").count - 1 == 1)
        #expect(html.contains("<span class=\"pick-mark\">★ picked</span>"))
        #expect(html.contains("data-command=\"nanobatch pick m.json \(pick)\">copy pick command</button>"))
        #expect(html.components(separatedBy: "class=\"copy\"").count - 1 == report.jobs.filter { $0.file != nil }.count)
        #expect(html.contains("<option value=\"picked\">picked</option>"))
        #expect(HTMLReport.shellWord("my manifests/a'b.json") == #"'my manifests/a'\''b.json'"#)
    }

    @Test func thousandsOfJobsStartCollapsed() throws {
        var report = try Self.sampleReport()
        let template = report.jobs[0]
        report.jobs = (0..<(HTMLReport.openGroupsUpTo + 1)).map { index in
            var row = template
            row.id = "p\(index % 20)/job\(index)"
            row.promptID = "p\(index % 20)"
            return row
        }
        let html = Self.page(report)
        #expect(html.components(separatedBy: "<details class=\"prompt\"").count - 1 == 20)
        #expect(!html.contains("\" open><summary><h2>"), "no group starts open")
        #expect(html.components(separatedBy: "<template><table class=\"grid\">").count - 1 == 20, "each closed grid is inert until opened")
    }

    @Test func pastTenseRewritesExplainsWording() {
        #expect(ReasonWording.pastTense("prompt changed: \"a\" → \"b\"") == "the prompt had changed: \"a\" → \"b\"")
        #expect(
            ReasonWording.pastTense("prompt changed: \"a\" → \"b\"; upstream output changed: hero/x will be made again")
                == "the prompt had changed: \"a\" → \"b\"; the upstream output had changed: its source image was made again")
        #expect(
            ReasonWording.pastTense("no entry yet (the image is gone from the store)")
                == "there was no image yet (the image was gone from the store)")
    }

    /// A changed prompt: the page says why once per group, in the past tense, and shows the image it
    /// had before beside the new one (still in the store); a second, cached build still shows the set's value.
    @Test func aRemadeGroupSaysWhyOnceAndShowsThePreviousImage() async throws {
        let (workspace, path) = try exampleWorkspace()
        #expect(await run(path, workspace).status == 0)
        #expect(await run(path, workspace).status == 0)
        let folder = workspace.outputRoot.appendingPathComponent("example")
        let cached = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(cached.contains("Nothing was made in this build, so nothing was spent."))
        #expect(cached.contains("List value of the set: <b>$1.61</b> for 16 images (16 from the store)"), "\(cached.prefix(3000))")

        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "soft daylight", with: "soft evening light").write(
            toFile: path, atomically: true, encoding: .utf8)
        let before = try readIndex(workspace, manifest: "example")
        #expect(await run(path, workspace).status == 0)
        let page = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(page.components(separatedBy: "made again: the prompt had changed: ").count - 1 == 1, "said once, for the hero group")
        #expect(page.contains("soft evening light&quot; <small>(8 images)</small></li>"))
        #expect(
            page.contains("<li>made again: the upstream output had changed: its source image was made again <small>(4 images)</small></li>")
        )
        #expect(!page.contains("will be made again"))
        #expect(!page.contains("made again: prompt changed"))
        // Each remade image has its previous one beside it, linked into the store, and the file is there.
        let heroRow = try #require(before.jobRows.first { $0["promptID"]?.stringValue == "hero" && $0["step"] == nil })
        let oldPath = try #require(heroRow["storePath"]?.stringValue)
        #expect(page.contains("<a href=\"../\(oldPath)\" class=\"before\"><img src=\"../\(oldPath)\" loading=\"lazy\" decoding=\"async\""))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("../\(oldPath)").path))
        #expect(page.components(separatedBy: "class=\"before\"").count - 1 == 12)
        // `report` rebuilds the page with them.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("index.html"))
        #expect(await run(path, workspace, "report").status == 0)
        let rebuilt = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(rebuilt.components(separatedBy: "class=\"before\"").count - 1 == 12)
    }
}
