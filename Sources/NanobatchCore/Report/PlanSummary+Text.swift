import Foundation

/// The human-readable table `nanobatch plan` prints: a header whose counts are the table's "total" row.
extension PlanSummary {
    func renderText() -> String {
        var out = "Plan for \(manifest): \(Plural.count(jobs, "job")) — \(cached) cached, \(toMake) to make"
        if blockedByUpstream > 0 {
            out += blockedByUpstream == 1 ? " (1 after its upstream job)" : " (\(blockedByUpstream) after their upstream jobs)"
        }
        if duplicates > 0 { out += ", \(duplicates) identical to another job (made once)" }
        out += "\n\n"
        let showDuplicates = duplicates > 0
        var header = ["provider", "model", "jobs", "cached", "to make"]
        if showDuplicates { header.append("identical") }
        header += ["unit price", "estimate"]
        var table = [header]
        func cells(_ line: Line, provider: String, model: String, unit: String) -> [String] {
            var row = [provider, model, "\(line.jobs)", "\(line.cached)", "\(line.toMake)"]
            if showDuplicates { row.append("\(line.duplicates)") }
            var estimate = Money.format(line.estimatedCost)
            if line.unknownPriceJobs > 0 {
                estimate = line.unknownPriceJobs == line.toMake ? "unknown" : "\(estimate) + \(line.unknownPriceJobs) unknown"
            }
            return row + [unit, estimate]
        }
        for line in byModel {
            let model = (line.model ?? "") + (line.mode.map { " (\($0))" } ?? "")
            table.append(cells(line, provider: line.provider, model: model, unit: line.unitPrice.map(Money.format) ?? "unknown"))
        }
        if byModel.count > 1 {
            var total = Line(provider: "total")
            total.jobs = jobs
            total.cached = cached
            total.toMake = toMake
            total.duplicates = duplicates
            total.estimatedCost = estimatedCost
            total.unknownPriceJobs = unknownPriceJobs
            table.append(cells(total, provider: "total", model: "", unit: ""))
        }
        out += TextTable.render(table, rightAligned: Set(2..<header.count))
        if byProvider.count > 1 {
            out += "\nBy provider: " + byProvider.map { "\($0.provider) \(Money.format($0.estimatedCost))" }.joined(separator: ", ")
        }
        if byModel.contains(where: { $0.mode == ProviderMode.batch.rawValue }) {
            out += "\nBatch jobs, at the batch price: \(ProviderMode.batchTurnaround)"
        }
        out += "\nEstimated cost of this run: \(Money.format(estimatedCost))"
        if unknownPriceJobs > 0 {
            out += " + \(Plural.count(unknownPriceJobs, "job")) of unknown price (set them in \"pricing\")"
        }
        out += "\n"
        if let budget {
            let noPrice = unknownPriceJobs == 1 ? "1 job has" : "\(unknownPriceJobs) jobs have"
            out +=
                withinBudget == true
                ? "Budget: \(Money.format(budget)) — within budget\n"
                : unknownPriceJobs > 0 && estimatedCost <= budget + 1e-9
                    ? "Budget: \(Money.format(budget)) — \(noPrice) no price, so the budget cannot be kept; set them in \"pricing\". `run` will refuse to start\n"
                    : "Budget: \(Money.format(budget)) — the estimate exceeds it; `run` will refuse to start\n"
        }
        return out
    }
}
