import Foundation

/// `index.html`: one self-contained page (inline CSS and a few lines of script, no network) built
/// from the index report alone, so `nanobatch report` can rebuild it without running anything.
/// Images are linked by their paths relative to the page, so it works from `file://`.
///
/// Sections: the header (counts, costs, diff; `+Header`), the table of contents and filter (`+Navigation`),
/// one collapsible grid per prompt (`+Grid`) of figures (`+Figure`), and the inline CSS and script (`+Assets`).
enum HTMLReport {
    /// Up to this many jobs, every prompt's group starts open; above it, all start closed (a click, a
    /// table-of-contents link or a filter opens them), so a page of thousands of jobs lays out only what is shown.
    static let openGroupsUpTo = 400

    /// What figures need besides their own row.
    struct Context {
        /// The manifest file as the command line named it, for the "copy pick command" buttons.
        var manifestFile: String
        /// Job id → its friendly file (relative to the page), for a step's link to its source image.
        var files: [String: String]
        /// From the page's folder to the output root, where store paths start ("../").
        var toRoot: String
    }

    /// `manifestFile`: the manifest's path as given to the command (default: `<name>.json`).
    static func renderBytes(_ report: IndexReport, manifestFile: String? = nil) -> TextBuffer {
        var html = TextBuffer(capacity: 16 * 1024 + report.jobs.count * 900)
        let groups = SheetGroup.make(report)
        html.append(
            """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(report.manifest)) — nanobatch</title>
            <style>\(css)</style>
            </head>
            <body data-jobs="\(report.jobs.count)">
            <header>
            <h1>\(escape(report.manifest))</h1>
            <p class="when">Built \(escape(report.generatedAt)) in \(String(format: "%.1f", report.totals.wallSeconds)) s\(report.stoppedBecause.map { " · stopped: " + escape($0) } ?? "")</p>
            \(summary(report))
            \(costTable(report))
            \(diffSection(report))
            </header>
            \(tableOfContents(groups))
            \(filterForm(report))
            <main>

            """)
        var files: [String: String] = [:]
        for row in report.jobs { if let file = row.file { files[row.id] = file } }
        let depth = report.manifest.split(separator: "/").count
        let context = Context(
            manifestFile: manifestFile ?? report.manifest + ".json", files: files,
            toRoot: String(repeating: "../", count: max(1, depth)))
        let open = report.jobs.count <= openGroupsUpTo
        for group in groups {
            section(group, open: open, context: context, to: &html)
        }
        html.append(
            """
            </main>
            <script>\(script)</script>
            </body>
            </html>

            """)
        return html
    }

    /// Fits within 220×220 keeping the true ratio.
    static func thumbnailSize(width: Int, height: Int) -> (Int, Int) {
        let w = Double(max(1, width))
        let h = Double(max(1, height))
        let scale = min(220 / w, 220 / h)
        return (max(1, Int((w * scale).rounded())), max(1, Int((h * scale).rounded())))
    }

    /// A relative URL: each path segment percent-encoded.
    static func path(_ relative: String) -> String {
        relative.split(separator: "/").map { Endpoint.encode(String($0)) }.joined(separator: "/")
    }

    /// `text` with & < > " ' replaced by entities, for the header built as strings.
    static func escape(_ text: String) -> String {
        var out = TextBuffer(capacity: text.utf8.count + 16)
        out.appendHTMLEscaped(text)
        return out.string
    }

    /// A word for a shell: as it is when it is plain, else in single quotes.
    static func shellWord(_ text: String) -> String {
        let plain =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-:+@%=,".unicodeScalars.contains($0) }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
