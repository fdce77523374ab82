/// One prompt's jobs as the contact sheet lays them out: rows are models (chained steps after their
/// source), columns are ratios split into sub-columns by reference set, variant and take. A step's job
/// sits in the sub-column of its source image.
struct SheetGroup {
    struct Column: Hashable {
        var ratio: String
        var references: String
        var variant: Int
        var take: Int
        /// Template values, "product=mug · season=spring" (empty without templates).
        var variables: String
    }

    struct Row {
        var label: String
        var step: String?
        /// The step's own prompt text (steps only).
        var stepPrompt: String?
        var cells: [Column: [IndexReport.JobRow]] = [:]
    }

    var promptID: String
    var prompt = ""
    var rows: [Row] = []
    var columns: [Column] = []
    var jobs = 0
    var failed = 0
    /// What changed since the previous build, said once: "made again: the prompt had changed: …" → how many jobs.
    var reasons: [(text: String, count: Int)] = []

    /// The groups of a build in order of first appearance.
    static func make(_ report: IndexReport) -> [SheetGroup] {
        var groups: [SheetGroup] = []
        var position: [String: Int] = [:]
        var rowPosition: [String: Int] = [:]  // "prompt\u{0}label" → row index in its group
        var columnOf: [String: Column] = [:]  // job id → its column, for the steps made from it
        var columnSeen = Set<String>()  // "group\u{0}column"
        var reasonPosition: [String: Int] = [:]
        for job in report.jobs {
            let at: Int
            if let known = position[job.promptID] {
                at = known
            } else {
                at = groups.count
                position[job.promptID] = at
                groups.append(SheetGroup(promptID: job.promptID))
            }
            if groups[at].prompt.isEmpty && job.step == nil { groups[at].prompt = job.prompt }
            groups[at].jobs += 1
            if job.status == .failed { groups[at].failed += 1 }
            var column = Column(
                ratio: job.aspectRatio, references: job.references.isEmpty ? "no references" : job.references.joined(separator: ", "),
                variant: job.variant, take: job.take, variables: SheetGroup.describe(job.variables))
            if let upstream = job.upstream, var source = columnOf[upstream] {
                source.ratio = job.aspectRatio
                column = source
            }
            columnOf[job.id] = column
            let columnKey = [String(at), column.ratio, column.references, String(column.variant), String(column.take), column.variables]
                .joined(separator: "\u{0}")
            if columnSeen.insert(columnKey).inserted { groups[at].columns.append(column) }
            let label = (job.step.map { "\($0) · " } ?? "") + "\(job.provider):\(job.model)"
            let rowKey = job.promptID + "\u{0}" + label
            if let line = rowPosition[rowKey] {
                groups[at].rows[line].cells[column, default: []].append(job)
            } else {
                rowPosition[rowKey] = groups[at].rows.count
                let stepPrompt = job.step == nil ? nil : job.stepPrompt ?? job.prompt
                groups[at].rows.append(Row(label: label, step: job.step, stepPrompt: stepPrompt, cells: [column: [job]]))
            }
            if let change = job.change, change != "unchanged" {
                let text = change + (job.changeReason.map { ": " + ReasonWording.pastTense($0) } ?? "")
                let reasonKey = job.promptID + "\u{0}" + text
                if let line = reasonPosition[reasonKey] {
                    groups[at].reasons[line].count += 1
                } else {
                    reasonPosition[reasonKey] = groups[at].reasons.count
                    groups[at].reasons.append((text, 1))
                }
            }
        }
        for at in groups.indices {
            // Columns by ratio (first seen first), sub-columns in order of first appearance.
            let ratios = groups[at].columns.map(\.ratio).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            groups[at].columns = ratios.flatMap { ratio in groups[at].columns.filter { $0.ratio == ratio } }
            // Source rows first, then each step's rows (stable within each).
            groups[at].rows = groups[at].rows.enumerated()
                .sorted { ($0.element.step != nil ? 1 : 0, $0.offset) < ($1.element.step != nil ? 1 : 0, $1.offset) }
                .map(\.element)
        }
        return groups
    }

    /// "product=mug · season=spring": names sorted.
    static func describe(_ variables: [String: String]) -> String {
        variables.keys.sorted().map { "\($0)=\(variables[$0] ?? "")" }.joined(separator: " · ")
    }

    /// The columns in runs of one ratio: (ratio, how many sub-columns).
    var ratioSpans: [(ratio: String, count: Int)] {
        var spans: [(ratio: String, count: Int)] = []
        for column in columns {
            if spans.last?.ratio == column.ratio { spans[spans.count - 1].count += 1 } else { spans.append((column.ratio, 1)) }
        }
        return spans
    }
}
