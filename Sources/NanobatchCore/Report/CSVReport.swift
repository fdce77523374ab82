import Foundation

/// `index.csv`: the job table for spreadsheets (RFC 4180 quoting, one header row). Columns keep their
/// order; new ones are added at the end: `take`, `isPick`, `stepPrompt` (a chained step's own prompt),
/// then one `var:<name>` column per template variable of the build, names sorted.
enum CSVReport {
    static let columns = [
        "id", "promptID", "step", "provider", "model", "aspectRatio", "imageSize", "variant", "references",
        "status", "change", "file", "width", "height", "bytes", "estimatedCostUSD", "actualCost", "costUnit",
        "attempts", "durationSeconds", "error", "take", "isPick", "stepPrompt",
    ]

    static func renderBytes(_ report: IndexReport) -> TextBuffer {
        var out = TextBuffer(capacity: 256 + report.jobs.count * 200)
        let variables = Set(report.jobs.flatMap(\.variables.keys)).sorted()
        out.append((columns + variables.map { "var:" + $0 }).map(quote).joined(separator: ","))
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
            field(row.error ?? "", &out)
            out.append(row.take)
            out.append(row.isPick ? ",true," : ",false,")
            field(row.step == nil ? "" : row.stepPrompt ?? row.prompt, &out, last: variables.isEmpty)
            for (position, name) in variables.enumerated() {
                field(row.variables[name] ?? "", &out, last: position == variables.count - 1)
            }
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
