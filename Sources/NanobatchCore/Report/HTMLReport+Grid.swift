import Foundation

/// One prompt's group: a collapsible section with its reasons (said once) and its grid, whose header
/// rows name every column: the ratio, then the reference set, variant and take (and template values, if any).
extension HTMLReport {
    static func section(_ group: SheetGroup, open: Bool, context: Context, to html: inout TextBuffer) {
        html.append("<details class=\"prompt\" id=\"")
        html.append(anchor(group.promptID))
        html.append(open ? "\" open><summary><h2>" : "\"><summary><h2>")
        html.appendHTMLEscaped(group.promptID)
        html.append("</h2> <span class=\"prompt-text\">")
        html.appendHTMLEscaped(group.prompt)
        html.append("</span></summary>")
        if !group.reasons.isEmpty {
            html.append("<ul class=\"reasons\">")
            for reason in group.reasons {
                html.append("<li>")
                html.appendHTMLEscaped(reason.text)
                html.append(" <small>(")
                html.append(reason.count)
                html.append(reason.count == 1 ? " image)</small></li>" : " images)</small></li>")
            }
            html.append("</ul>")
        }
        // A closed group's grid is an inert template, made into rows when it is opened: the browser neither lays
        // it out nor fetches its images (it fetches lazy images in a closed <details>), so a big page opens fast.
        if !open { html.append("<template>") }
        html.append("<table class=\"grid\"><thead><tr><th scope=\"row\">ratio</th>")
        for span in group.ratioSpans {
            html.append("<th scope=\"colgroup\" colspan=\"")
            html.append(span.count)
            html.append("\">")
            html.appendHTMLEscaped(span.ratio)
            html.append("</th>")
        }
        html.append("</tr>")
        subHeader("reference set", "refs", group.columns.map(\.references), to: &html)
        subHeader("variant", "variant", group.columns.map { "v\($0.variant)" }, to: &html)
        subHeader("take", "take", group.columns.map { "take \($0.take)" }, to: &html)
        if group.columns.contains(where: { !$0.variables.isEmpty }) {
            subHeader("values", "values", group.columns.map(\.variables), to: &html)
        }
        html.append("</thead><tbody>")
        for row in group.rows {
            html.append(
                row.step != nil ? "<tr class=\"step\"><th class=\"model\" scope=\"row\">" : "<tr><th class=\"model\" scope=\"row\">")
            html.appendHTMLEscaped(row.label)
            if let prompt = row.stepPrompt {
                html.append("<p class=\"step-prompt\">")
                html.appendHTMLEscaped(prompt)
                html.append("</p>")
            }
            html.append("</th>")
            for column in group.columns {
                html.append("<td class=\"cell\" data-ratio=\"")
                html.appendHTMLEscaped(column.ratio)
                html.append("\">")
                for job in row.cells[column] ?? [] { figure(job, context: context, to: &html) }
                html.append("</td>")
            }
            html.append("</tr>")
        }
        html.append(open ? "</tbody></table></details>\n" : "</tbody></table></template></details>\n")
    }

    /// A header row: its name, then one cell per column.
    static func subHeader(_ name: String, _ kind: String, _ labels: [String], to html: inout TextBuffer) {
        html.append("<tr class=\"sub ")
        html.append(kind)
        html.append("\"><th scope=\"row\">")
        html.append(name)
        html.append("</th>")
        for label in labels {
            html.append("<th scope=\"col\">")
            html.appendHTMLEscaped(label)
            html.append("</th>")
        }
        html.append("</tr>")
    }
}
