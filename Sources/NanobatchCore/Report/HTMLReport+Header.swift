import Foundation

/// The page's header: counts, costs (spent now and the set's list value) and the diff against the previous build.
extension HTMLReport {
    static func summary(_ report: IndexReport) -> String {
        let totals = report.totals
        var items = [("made", totals.made), ("cached", totals.cached), ("failed", totals.failed), ("skipped", totals.skipped)]
            .map { "<li class=\"count \($0.0)\"><b>\($0.1)</b> \($0.0)</li>" }
        items.insert("<li class=\"count\"><b>\(totals.jobs)</b> jobs</li>", at: 0)
        // Statuses the totals do not count (a newer run's, e.g. batch jobs still pending).
        let known: Set<String> = ["made", "cached", "failed", "skipped"]
        var others: [String: Int] = [:]
        for row in report.jobs where !known.contains(row.status.rawValue) { others[row.status.rawValue, default: 0] += 1 }
        for status in others.keys.sorted() {
            items.append("<li class=\"count \(escape(status))\"><b>\(others[status]!)</b> \(escape(status))</li>")
        }
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
        let value = listValue(report)
        guard !lines.isEmpty else { return "<p class=\"costs\">Nothing was made in this build, so nothing was spent.</p>" + value }
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
        return html + value
    }

    /// What the set's images (made now or from the store) would cost at list price: shown even when nothing was spent.
    static func listValue(_ report: IndexReport) -> String {
        var images = 0
        var value = 0.0
        var unknown = 0
        for row in report.jobs where row.status == .made || row.status == .cached {
            images += 1
            if let price = row.estimatedCost, price.isFinite { value += price } else { unknown += 1 }
        }
        guard images > 0 else { return "" }
        return
            "<p class=\"list-value\">List value of the set: <b>\(Money.format(value))</b>\(unknown > 0 ? " + \(unknown) of unknown price" : "")"
            + " for \(images) image\(images == 1 ? "" : "s") (\(report.totals.cached) from the store)</p>"
    }

    static func diffSection(_ report: IndexReport) -> String {
        guard let diff = report.diff else { return "<p class=\"diff\">First build of this manifest: nothing to compare with.</p>" }
        var html =
            "<details class=\"diff\"><summary>Since the previous build\(diff.previousBuild.map { " (" + escape($0) + ")" } ?? ""): "
        html += "\(escape(diff.counts))</summary>"
        if !diff.madeAgain.isEmpty {
            html += "<h3>Made again</h3><ul>" + diff.madeAgain.map { "<li><code>\(escape($0.id))</code></li>" }.joined() + "</ul>"
        }
        if !diff.restored.isEmpty {
            html += "<h3>Restored from cache</h3><ul>" + diff.restored.map { "<li><code>\(escape($0.id))</code></li>" }.joined() + "</ul>"
        }
        if !diff.new.isEmpty { html += "<h3>New</h3><ul>" + diff.new.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ul>" }
        if !diff.removed.isEmpty {
            html += "<h3>Removed</h3><ul>" + diff.removed.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ul>"
        }
        return html + "<p class=\"note\">Why each image was made again is said once, in its prompt's group.</p></details>"
    }
}
