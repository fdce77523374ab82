import Foundation

/// The answer to "what will this manifest cost?": counts and estimated cost, with no network call.
struct PlanSummary: Codable, Sendable, Equatable {
    struct ModelLine: Codable, Sendable, Equatable {
        var provider: String
        var model: String
        var jobs: Int
        var toMake: Int
        /// Known part of the estimate; `unknownPriceJobs` says how many jobs it leaves out.
        var estimatedCost: Double
        var unknownPriceJobs: Int
        var unitPrice: Double?
    }

    struct Row: Codable, Sendable, Equatable {
        var id: String
        var key: String?
        var state: String
        var provider: String
        var model: String
        var price: Double?
    }

    var manifest: String
    var jobs: Int
    var cached: Int
    var toMake: Int
    var blockedByUpstream: Int
    var duplicates: Int
    /// USD for every job that will be sent (to make now plus blocked); unknown prices excluded and counted.
    var estimatedCost: Double
    var unknownPriceJobs: Int
    var budget: Double?
    var withinBudget: Bool?
    var byModel: [ModelLine]
    var byProvider: [String: Double]
    var rows: [Row]

    init(plan: EvaluatedPlan, maxCost: Double?) {
        let graph = plan.graph
        manifest = graph.manifest.name
        jobs = graph.jobs.count
        cached = plan.cachedCount
        toMake = plan.toMakeCount
        blockedByUpstream = plan.blockedCount
        duplicates = plan.duplicateCount
        var lines: [String: ModelLine] = [:]
        var order: [String] = []
        var total = 0.0
        var unknown = 0
        var providers: [String: Double] = [:]
        var rows: [Row] = []
        rows.reserveCapacity(graph.jobs.count)
        for job in graph.jobs {
            let lineKey = job.imageSize.map { "\(job.qualifiedModel)@\($0)" } ?? job.qualifiedModel
            if lines[lineKey] == nil {
                order.append(lineKey)
                lines[lineKey] = ModelLine(
                    provider: job.provider, model: job.imageSize.map { "\(job.model)@\($0)" } ?? job.model,
                    jobs: 0, toMake: 0, estimatedCost: 0, unknownPriceJobs: 0, unitPrice: job.unitPrice)
            }
            lines[lineKey]!.jobs += 1
            let state: String
            switch plan.states[job.index] {
            case .cached: state = "cached"
            case .toMake: state = "to-make"
            case .blocked: state = "blocked"
            case .duplicate: state = "duplicate"
            }
            rows.append(
                Row(
                    id: job.id, key: plan.states[job.index].key, state: state, provider: job.provider,
                    model: job.model, price: job.unitPrice))
            guard plan.willBeMade(job.index) else { continue }
            lines[lineKey]!.toMake += 1
            if let price = job.unitPrice {
                lines[lineKey]!.estimatedCost += price
                total += price
                providers[job.provider, default: 0] += price
            } else {
                lines[lineKey]!.unknownPriceJobs += 1
                unknown += 1
            }
        }
        estimatedCost = Money.rounded(total)
        unknownPriceJobs = unknown
        byModel = order.map {
            var line = lines[$0]!
            line.estimatedCost = Money.rounded(line.estimatedCost)
            return line
        }
        byProvider = providers.mapValues(Money.rounded)
        self.rows = rows
        budget = maxCost
        // Under a budget, a job of unknown price could cost anything: the plan is not within it.
        withinBudget = maxCost.map { total <= $0 + 1e-9 && unknown == 0 }
    }

    /// The human-readable table `nanobatch plan` prints.
    func renderText() -> String {
        // "to make" counts the jobs that wait on upstream jobs too, as the table's column does.
        var out = "Plan for \(manifest): \(Plural.count(jobs, "job")) — \(cached) cached, \(toMake + blockedByUpstream) to make"
        if blockedByUpstream > 0 { out += " (\(blockedByUpstream) after their upstream jobs)" }
        if duplicates > 0 { out += ", \(duplicates) identical to another job (made once)" }
        out += "\n\n"
        let header = ["provider", "model", "jobs", "to make", "unit price", "estimate"]
        var table = [header]
        for line in byModel {
            let unit = line.unitPrice.map { Money.format($0) } ?? "unknown"
            var estimate = Money.format(line.estimatedCost)
            if line.unknownPriceJobs > 0 {
                estimate = line.unknownPriceJobs == line.toMake ? "unknown" : "\(estimate) + \(line.unknownPriceJobs) unknown"
            }
            table.append([line.provider, line.model, "\(line.jobs)", "\(line.toMake)", unit, estimate])
        }
        out += TextTable.render(table, rightAligned: [2, 3, 4, 5])
        if byProvider.count > 1 {
            out += "\nBy provider: " + byProvider.keys.sorted().map { "\($0) \(Money.format(byProvider[$0] ?? 0))" }.joined(separator: ", ")
        }
        out += "\nEstimated cost of this run: \(Money.format(estimatedCost))"
        if unknownPriceJobs > 0 {
            out += " + \(unknownPriceJobs) job\(unknownPriceJobs == 1 ? "" : "s") of unknown price (set them in \"pricing\")"
        }
        out += "\n"
        if let budget {
            out +=
                withinBudget == true
                ? "Budget: \(Money.format(budget)) — within budget\n"
                : unknownPriceJobs > 0 && estimatedCost <= budget + 1e-9
                    ? "Budget: \(Money.format(budget)) — \(unknownPriceJobs) job\(unknownPriceJobs == 1 ? " has" : "s have") no price, so the budget cannot be kept; set them in \"pricing\". `run` will refuse to start\n"
                    : "Budget: \(Money.format(budget)) — the estimate exceeds it; `run` will refuse to start\n"
        }
        return out
    }
}

enum TextTable {
    static func render(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
