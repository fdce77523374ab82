import Foundation

/// One job's figure: its thumbnail (lazy), the previous image beside it when it was made again, and a
/// caption with status, size, cost, template values, a step's source link, the pick mark and the copy button.
extension HTMLReport {
    static func figure(_ row: IndexReport.JobRow, context: Context, to html: inout TextBuffer) {
        let status = row.status.rawValue
        html.append("<figure class=\"job ")
        html.appendHTMLEscaped(status)
        if row.isPick { html.append(" pick") }
        html.append("\" data-job=\"")
        html.appendHTMLEscaped(row.id)
        html.append("\" data-status=\"")
        html.appendHTMLEscaped(status)
        html.append("\" data-model=\"")
        html.appendHTMLEscaped("\(row.provider):\(row.model)")
        html.append("\" data-ratio=\"")
        html.appendHTMLEscaped(row.aspectRatio)
        html.append("\">")
        if let file = row.file, let width = row.width, let height = row.height {
            let (w, h) = thumbnailSize(width: width, height: height)
            image(link: path(file), width: w, height: h, alt: row.id, className: nil, to: &html)
            if let before = row.previousStorePath {
                image(
                    link: context.toRoot + path(before), width: max(1, w / 2), height: max(1, h / 2), alt: "before: " + row.id,
                    className: "before", to: &html)
            }
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
        html.appendHTMLEscaped(status)
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
        if row.step != nil, row.variant > 1 || row.take > 1 {
            html.append("<br><span class=\"variant\">v")
            html.append(row.variant)
            html.append(" · take ")
            html.append(row.take)
            html.append("</span>")
        }
        if !row.variables.isEmpty {
            html.append("<br><span class=\"values\">")
            html.appendHTMLEscaped(SheetGroup.describe(row.variables))
            html.append("</span>")
        }
        if let upstream = row.upstream {
            html.append("<br><span class=\"source\">from ")
            if let file = context.files[upstream] {
                html.append("<a href=\"")
                html.appendHTMLEscaped(path(file))
                html.append("\">")
                html.appendHTMLEscaped(upstream)
                html.append("</a>")
            } else {
                html.appendHTMLEscaped(upstream)
            }
            html.append("</span>")
        }
        if let change = row.change, change != "unchanged" {
            html.append("<br><span class=\"change\">")
            html.appendHTMLEscaped(change)
            if row.previousStorePath != nil { html.append(" (before → after)") }
            html.append("</span>")
        }
        if row.ratioMismatch == true { html.append("<br><span class=\"warn\">pixel size does not match the ratio</span>") }
        if row.isPick { html.append("<br><span class=\"pick-mark\">★ picked</span>") }
        if row.file != nil {
            html.append("<br><button type=\"button\" class=\"copy\" data-command=\"")
            html.appendHTMLEscaped("nanobatch pick \(shellWord(context.manifestFile)) \(shellWord(row.id))")
            html.append("\">copy pick command</button>")
        }
        html.append("</figcaption></figure>")
    }

    /// A linked thumbnail, loaded only near the viewport and decoded off the main thread.
    static func image(link: String, width: Int, height: Int, alt: String, className: String?, to html: inout TextBuffer) {
        html.append("<a href=\"")
        html.appendHTMLEscaped(link)
        html.append(className == nil ? "\"><img src=\"" : "\" class=\"\(className!)\"><img src=\"")
        html.appendHTMLEscaped(link)
        html.append("\" loading=\"lazy\" decoding=\"async\" width=\"")
        html.append(width)
        html.append("\" height=\"")
        html.append(height)
        html.append("\" alt=\"")
        html.appendHTMLEscaped(alt)
        html.append("\"></a>")
    }
}
