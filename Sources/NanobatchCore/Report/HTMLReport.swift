import Foundation

/// `index.html`: one self-contained page (inline CSS and a few lines of script, no network) built
/// from the index report alone, so `nanobatch report` can rebuild it without running anything.
/// Images are linked by their paths relative to the page, so it works from `file://`.
enum HTMLReport {
    static func renderBytes(_ report: IndexReport) -> TextBuffer {
        var html = TextBuffer(capacity: 16 * 1024 + report.jobs.count * 340)
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
            <main>

            """)
        for group in groups(report) {
            section(group, to: &html)
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

    // MARK: Header

    static func summary(_ report: IndexReport) -> String {
        let totals = report.totals
        var items = [("made", totals.made), ("cached", totals.cached), ("failed", totals.failed), ("skipped", totals.skipped)]
            .map { "<li class=\"count \($0.0)\"><b>\($0.1)</b> \($0.0)</li>" }
        items.insert("<li class=\"count\"><b>\(totals.jobs)</b> jobs</li>", at: 0)
        if totals.resumedTasks > 0 { items.append("<li class=\"count\"><b>\(totals.resumedTasks)</b> resumed tasks</li>") }
        if totals.skippedForBudget > 0 {
            items.append("<li class=\"count skipped\"><b>\(totals.skippedForBudget)</b> skipped for budget</li>")
        }
        if totals.unresolvedSubmissions > 0 {
            items.append(
                "<li class=\"count failed\"><b>\(totals.unresolvedSubmissions)</b> earlier submissions possibly paid without a result</li>")
        }
        return "<ul class=\"counts\">" + items.joined() + "</ul>"
    }

    static func costTable(_ report: IndexReport) -> String {
        struct Line {
            var made = 0
            var estimated = 0.0
            var unknown = 0
            var actual: [String: Double] = [:]
        }
        var lines: [String: Line] = [:]
        for row in report.jobs where row.status == .made {
            let name = "\(row.provider):\(row.model)"
            var line = lines[name] ?? Line()
            line.made += 1
            if let price = row.estimatedCost { line.estimated += price } else { line.unknown += 1 }
            if let cost = row.actualCost { line.actual[row.costUnit ?? "USD", default: 0] += cost }
            lines[name] = line
        }
        guard !lines.isEmpty else { return "<p class=\"costs\">Nothing was made in this build, so nothing was spent.</p>" }
        var html =
            "<table class=\"costs\"><thead><tr><th>provider:model</th><th>made</th><th>estimated</th><th>actual</th></tr></thead><tbody>"
        for name in lines.keys.sorted() {
            let line = lines[name]!
            let estimate = Money.format(line.estimated) + (line.unknown > 0 ? " + \(line.unknown) unknown" : "")
            html +=
                "<tr><td>\(escape(name))</td><td>\(line.made)</td><td>\(estimate)</td><td>\(escape(Money.describe(line.actual)))</td></tr>"
        }
        let totals = report.totals
        html +=
            "</tbody><tfoot><tr><td>total</td><td>\(totals.made)</td><td>\(Money.format(totals.estimatedCost))\(totals.unknownPriceJobs > 0 ? " + \(totals.unknownPriceJobs) unknown" : "")</td><td>\(escape(Money.describe(totals.actualCost)))</td></tr></tfoot></table>"
        if let budget = report.budget { html += "<p class=\"costs\">Budget \(Money.format(budget))</p>" }
        return html
    }

    static func diffSection(_ report: IndexReport) -> String {
        guard let diff = report.diff else { return "<p class=\"diff\">First build of this manifest: nothing to compare with.</p>" }
        var html =
            "<details class=\"diff\" open><summary>Since the previous build\(diff.previousBuild.map { " (" + escape($0) + ")" } ?? ""): "
        html += "\(escape(diff.counts))</summary>"
        if !diff.madeAgain.isEmpty {
            html +=
                "<h3>Made again</h3><ul>" + diff.madeAgain.map { "<li><code>\(escape($0.id))</code>: \(escape($0.reason))</li>" }.joined()
                + "</ul>"
        }
        if !diff.restored.isEmpty {
            html +=
                "<h3>Restored from cache</h3><ul>"
                + diff.restored.map { "<li><code>\(escape($0.id))</code>: \(escape($0.reason))</li>" }.joined() + "</ul>"
        }
        if !diff.new.isEmpty { html += "<h3>New</h3><ul>" + diff.new.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ul>" }
        if !diff.removed.isEmpty {
            html += "<h3>Removed</h3><ul>" + diff.removed.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ul>"
        }
        return html + "</details>"
    }

    // MARK: Grid

    /// Jobs of one prompt: rows are models (chained steps after their source), columns ratios.
    struct Group {
        var promptID: String
        var prompt: String
        var rows: [(label: String, step: String?, cells: [String: [IndexReport.JobRow]])] = []
        var ratios: [String] = []
    }

    static func groups(_ report: IndexReport) -> [Group] {
        var groups: [Group] = []
        var position: [String: Int] = [:]
        var rowPosition: [String: Int] = [:]  // "prompt\u{0}label" → row index in its group
        for row in report.jobs {
            let at: Int
            if let known = position[row.promptID] {
                at = known
            } else {
                at = groups.count
                position[row.promptID] = at
                groups.append(Group(promptID: row.promptID, prompt: ""))
            }
            if groups[at].prompt.isEmpty && row.step == nil { groups[at].prompt = row.prompt }
            if !groups[at].ratios.contains(row.aspectRatio) { groups[at].ratios.append(row.aspectRatio) }
            let label = (row.step.map { "\($0) · " } ?? "") + "\(row.provider):\(row.model)"
            let rowKey = row.promptID + "\u{0}" + label
            if let line = rowPosition[rowKey] {
                groups[at].rows[line].cells[row.aspectRatio, default: []].append(row)
            } else {
                rowPosition[rowKey] = groups[at].rows.count
                groups[at].rows.append((label, row.step, [row.aspectRatio: [row]]))
            }
        }
        for at in groups.indices {
            // Source rows first, then each step's rows (stable within each).
            groups[at].rows = groups[at].rows.enumerated()
                .sorted { ($0.element.step != nil ? 1 : 0, $0.offset) < ($1.element.step != nil ? 1 : 0, $1.offset) }
                .map(\.element)
        }
        return groups
    }

    static func section(_ group: Group, to html: inout TextBuffer) {
        html.append("<section class=\"prompt\" id=\"p-")
        html.appendHTMLEscaped(group.promptID)
        html.append("\"><h2>")
        html.appendHTMLEscaped(group.promptID)
        html.append("</h2><p class=\"prompt-text\">")
        html.appendHTMLEscaped(group.prompt)
        html.append("</p><table class=\"grid\"><thead><tr><th></th>")
        for ratio in group.ratios {
            html.append("<th>")
            html.appendHTMLEscaped(ratio)
            html.append("</th>")
        }
        html.append("</tr></thead><tbody>")
        for row in group.rows {
            html.append(row.step != nil ? "<tr class=\"step\"><th class=\"model\">" : "<tr><th class=\"model\">")
            html.appendHTMLEscaped(row.label)
            html.append("</th>")
            for ratio in group.ratios {
                html.append("<td class=\"cell\" data-ratio=\"")
                html.appendHTMLEscaped(ratio)
                html.append("\">")
                for job in row.cells[ratio] ?? [] { figure(job, to: &html) }
                html.append("</td>")
            }
            html.append("</tr>")
        }
        html.append("</tbody></table></section>\n")
    }

    static func figure(_ row: IndexReport.JobRow, to html: inout TextBuffer) {
        let status = row.status.rawValue
        html.append("<figure class=\"job ")
        html.append(status)
        html.append("\" data-job=\"")
        html.appendHTMLEscaped(row.id)
        html.append("\">")
        if let file = row.file, let width = row.width, let height = row.height {
            let (w, h) = thumbnailSize(width: width, height: height)
            let link = path(file)
            html.append("<a href=\"")
            html.appendHTMLEscaped(link)
            html.append("\"><img src=\"")
            html.appendHTMLEscaped(link)
            html.append("\" width=\"")
            html.append(w)
            html.append("\" height=\"")
            html.append(h)
            html.append("\" alt=\"")
            html.appendHTMLEscaped(row.id)
            html.append("\"></a>")
        } else {
            let ratio = row.aspectRatio.split(separator: ":").compactMap { Double($0) }
            let (w, h) =
                ratio.count == 2 && ratio[0] > 0 && ratio[1] > 0
                ? thumbnailSize(width: Int(ratio[0] * 1000), height: Int(ratio[1] * 1000)) : (160, 160)
            html.append("<div class=\"missing\" style=\"width:")
            html.append(w)
            html.append("px;height:")
            html.append(h)
            html.append("px\">")
            html.appendHTMLEscaped(row.error ?? status)
            html.append("</div>")
        }
        html.append("<figcaption><span class=\"status\">")
        html.append(status)
        html.append("</span>")
        if let width = row.width, let height = row.height {
            html.append(" ")
            html.append(width)
            html.append("×")
            html.append(height)
        }
        if let size = row.imageSize {
            html.append(" · ")
            html.appendHTMLEscaped(size)
        }
        if row.status == .made, let cost = row.actualCost ?? row.estimatedCost {
            html.append(" · ")
            html.append(
                row.costUnit == "USD" || row.actualCost == nil || !cost.isFinite
                    ? Money.format(cost) : String(format: "%g %@", cost, row.costUnit ?? ""))
        }
        if row.variant > 1 || !row.references.isEmpty {
            html.append("<br><span class=\"variant\">v")
            html.append(row.variant)
            if !row.references.isEmpty {
                html.append(" · refs: ")
                html.appendHTMLEscaped(row.references.joined(separator: ", "))
            }
            html.append("</span>")
        }
        if let change = row.change, change != "unchanged" {
            html.append("<br><span class=\"change\">")
            html.appendHTMLEscaped(change)
            if let reason = row.changeReason {
                html.append(": ")
                html.appendHTMLEscaped(reason)
            }
            html.append("</span>")
        }
        if row.ratioMismatch == true { html.append("<br><span class=\"warn\">pixel size does not match the ratio</span>") }
        html.append("</figcaption></figure>")
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

    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 24px 48px;color:#1d1d1f;background:#fafafa}
        h1{margin:20px 0 4px}h2{margin:28px 0 2px;font-size:18px}.when{color:#666;margin:0 0 12px}
        .counts{list-style:none;padding:0;display:flex;gap:16px;flex-wrap:wrap}.count b{font-size:20px}
        .count.failed b{color:#b00020}.count.skipped b{color:#8a6d00}.count.made b{color:#1b7f3a}
        table.costs{border-collapse:collapse;margin:8px 0}table.costs td,table.costs th{border:1px solid #ddd;padding:3px 10px;text-align:left}
        .diff{margin:12px 0}.diff h3{font-size:14px;margin:8px 0 2px}.prompt-text{color:#444;max-width:80ch}
        table.grid{border-collapse:collapse}table.grid th,table.grid td{border:1px solid #e0e0e0;padding:6px;vertical-align:top}
        th.model{text-align:left;white-space:nowrap;font-weight:600}tr.step th.model{padding-left:20px;color:#555}
        td.cell{white-space:nowrap}figure.job{display:inline-block;margin:0 6px 6px 0;vertical-align:top;white-space:normal;max-width:220px}
        figure.job img{display:block;background:#eee;border:1px solid #ccc}
        .missing{display:flex;align-items:center;justify-content:center;text-align:center;font-size:12px;padding:6px;box-sizing:border-box;overflow:hidden;border:1px dashed #bbb;background:#f3f3f3;color:#666}
        figure.failed .missing{border-color:#b00020;color:#b00020;background:#fff5f6}
        figcaption{font-size:12px;color:#555}.status{font-weight:600}.failed .status{color:#b00020}.skipped .status{color:#8a6d00}
        .change{color:#0b57d0}.warn{color:#b00020}
        @media print{body{background:#fff;margin:0}details{display:block}section.prompt{break-inside:avoid}a{color:inherit;text-decoration:none}}
        """

    /// Marks the page once images have settled: how many thumbnails loaded (used by the browser test).
    static let script = """
        (function(){var imgs=[].slice.call(document.images);var left=imgs.length;
        function done(){var ok=imgs.filter(function(i){return i.complete&&i.naturalWidth>0}).length;
        document.body.setAttribute('data-thumbnails',ok+'/'+imgs.length)}
        if(!left){done();return}
        imgs.forEach(function(i){if(i.complete){if(--left===0)done()}else{i.addEventListener('load',function(){if(--left===0)done()});i.addEventListener('error',function(){if(--left===0)done()})}})})();
        """
}

/// `index.csv`: the job table for spreadsheets (RFC 4180 quoting, one header row).
enum CSVReport {
    static let columns = [
        "id", "promptID", "step", "provider", "model", "aspectRatio", "imageSize", "variant", "references",
        "status", "change", "file", "width", "height", "bytes", "estimatedCostUSD", "actualCost", "costUnit",
        "attempts", "durationSeconds", "error",
    ]

    static func renderBytes(_ report: IndexReport) -> TextBuffer {
        var out = TextBuffer(capacity: 256 + report.jobs.count * 160)
        out.append(columns.joined(separator: ","))
        out.append("\r\n")
        for row in report.jobs {
            field(row.id, &out)
            field(row.promptID, &out)
            field(row.step ?? "", &out)
            field(row.provider, &out)
            field(row.model, &out)
            field(row.aspectRatio, &out)
            field(row.imageSize ?? "", &out)
            out.append(row.variant)
            out.append(",")
            field(row.references.joined(separator: " "), &out)
            field(row.status.rawValue, &out)
            field(row.change ?? "", &out)
            field(row.file ?? "", &out)
            if let width = row.width { out.append(width) }
            out.append(",")
            if let height = row.height { out.append(height) }
            out.append(",")
            if let bytes = row.bytes { out.append(bytes) }
            out.append(",")
            // A cost that is not a finite number is an empty cell, never "inf".
            if let cost = row.estimatedCost, cost.isFinite { out.appendFixed(cost, decimals: 4) }
            out.append(",")
            if let cost = row.actualCost, cost.isFinite { out.appendFixed(cost, decimals: 4) }
            out.append(",")
            field(row.costUnit ?? "", &out)
            out.append(row.attempts)
            out.append(",")
            out.appendFixed(row.durationSeconds, decimals: 3)
            out.append(",")
            field(row.error ?? "", &out, last: true)
            out.append("\r\n")
        }
        return out
    }

    /// A text field and the comma after it (none after the last).
    private static func field(_ text: String, _ out: inout TextBuffer, last: Bool = false) {
        out.append(quote(text))
        if !last { out.append(",") }
    }

    /// Quotes a field when it holds a comma, quote or line break; a leading =, +, - or @ is
    /// prefixed with ' so a spreadsheet does not run it as a formula.
    static func quote(_ field: String) -> String {
        var value = field
        if let first = value.first, "=+-@".contains(first), Double(value) == nil { value = "'" + value }
        guard value.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
