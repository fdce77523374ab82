import Foundation

/// The table of contents (one anchor per prompt) and the client-side filter by status, model and ratio.
extension HTMLReport {
    static func tableOfContents(_ groups: [SheetGroup]) -> String {
        var html = "<nav class=\"toc\"><h2>Prompts</h2><ol>"
        for group in groups {
            html +=
                "<li><a href=\"#\(anchor(group.promptID))\">\(escape(group.promptID))</a> <small>\(group.jobs) job\(group.jobs == 1 ? "" : "s")"
            if group.failed > 0 { html += ", <span class=\"failed\">\(group.failed) failed</span>" }
            html += "</small></li>"
        }
        return html + "</ol></nav>"
    }

    /// The element id of a prompt's group: `p-` and the id with anything but letters, digits, `-` and `_` as `_XX` (UTF-8 hex).
    static func anchor(_ promptID: String) -> String {
        var out = "p-"
        for byte in promptID.utf8 {
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
            out += plain ? String(UnicodeScalar(byte)) : "_" + String(byte, radix: 16, uppercase: true)
        }
        return out
    }

    /// Three selects (their values can also come from the page's query: `index.html?status=failed&model=…&ratio=…`).
    static func filterForm(_ report: IndexReport) -> String {
        var statuses: [String] = []
        var models: [String] = []
        var ratios: [String] = []
        var seen = Set<String>()
        for row in report.jobs {
            let model = "\(row.provider):\(row.model)"
            if seen.insert("s\u{0}" + row.status.rawValue).inserted { statuses.append(row.status.rawValue) }
            if seen.insert("m\u{0}" + model).inserted { models.append(model) }
            if seen.insert("r\u{0}" + row.aspectRatio).inserted { ratios.append(row.aspectRatio) }
        }
        if report.jobs.contains(where: \.isPick) { statuses.append("picked") }
        func select(_ name: String, _ values: [String]) -> String {
            "<label>\(name) <select name=\"\(name)\"><option value=\"\">all</option>"
                + values.map { "<option value=\"\(escape($0))\">\(escape($0))</option>" }.joined() + "</select></label>"
        }
        return "<form class=\"filter\" id=\"filter\">Show " + select("status", statuses) + select("model", models)
            + select("ratio", ratios.sorted()) + " <output id=\"shown\"></output></form>"
    }
}
