import Foundation

/// The answer to "what will this manifest cost?": counts and estimated cost, with no network call.
/// The counts add up everywhere: `jobs = cached + toMake + duplicates`, in the header, in each line
/// of `byModel` and `byProvider`, and the lines sum to the header.
struct PlanSummary: Codable, Sendable, Equatable {
    /// One line of `byModel` (with `model` and `unitPrice`) or of `byProvider` (without them).
    struct Line: Codable, Sendable, Equatable {
        var provider: String
        var model: String?
        var jobs = 0
        var cached = 0
        /// Jobs that will be sent: to make now, or after their upstream jobs.
        var toMake = 0
        /// Same request as another job of this build: made once, not sent again.
        var duplicates = 0
        /// Known part of the estimate; `unknownPriceJobs` says how many jobs it leaves out.
        var estimatedCost = 0.0
        var unknownPriceJobs = 0
        var unitPrice: Double?
        /// `"batch"` for a batch-mode provider's jobs (priced at the batch price); absent otherwise.
        var mode: String?

        mutating func count(_ state: JobState.Kind, price: Double?) {
            jobs += 1
            switch state {
            case .cached: cached += 1
            case .duplicate: duplicates += 1
            case .toMake, .blocked:
                toMake += 1
                if let price { estimatedCost += price } else { unknownPriceJobs += 1 }
            }
        }
    }

    struct Row: Codable, Sendable, Equatable {
        var id: String
        var key: String?
        var state: String
        var provider: String
        var model: String
        var price: Double?
        /// `"batch"` for a batch-mode provider's job; absent otherwise.
        var mode: String?
    }

    var manifest: String
    var jobs: Int
    var cached: Int
    /// Every job that will be sent, those after their upstream jobs included.
    var toMake: Int
    /// The part of `toMake` that waits for upstream jobs made in the same run.
    var blockedByUpstream: Int
    var duplicates: Int
    /// USD for every job that will be sent; unknown prices excluded and counted.
    var estimatedCost: Double
    var unknownPriceJobs: Int
    var budget: Double?
    var withinBudget: Bool?
    var byModel: [Line]
    var byProvider: [Line]
    var rows: [Row]
    /// When the plan is a share of the manifest (`plan M SELECTOR… --shard K/N`): what was asked
    /// for, and how many jobs the whole manifest has.
    var selectors: [String]?
    var shard: String?
    var manifestJobs: Int?

    init(plan: EvaluatedPlan, maxCost: Double?) {
        let graph = plan.graph
        manifest = graph.manifest.name
        var models: [String: Int] = [:]
        var providers: [String: Int] = [:]
        var byModel: [Line] = []
        var byProvider: [Line] = []
        var total = Line(provider: "")
        var rows: [Row] = []
        rows.reserveCapacity(graph.jobs.count)
        let batchProviders = Set(graph.manifest.providers.filter { $0.mode == .batch }.map(\.name))
        for job in graph.jobs {
            let model = job.imageSize.map { "\(job.model)@\($0)" } ?? job.model
            let mode = batchProviders.contains(job.provider) ? ProviderMode.batch.rawValue : nil
            let modelIndex = Self.index(of: "\(job.provider):\(model)", in: &models, lines: &byModel) {
                Line(provider: job.provider, model: model, unitPrice: job.unitPrice.map(Money.rounded), mode: mode)
            }
            let providerIndex = Self.index(of: job.provider, in: &providers, lines: &byProvider) { Line(provider: job.provider) }
            let state = plan.states[job.index]
            byModel[modelIndex].count(state.kind, price: job.unitPrice)
            byProvider[providerIndex].count(state.kind, price: job.unitPrice)
            total.count(state.kind, price: job.unitPrice)
            rows.append(
                Row(
                    id: job.id, key: state.key, state: Self.stateName(state.kind), provider: job.provider, model: job.model,
                    price: job.unitPrice.map(Money.rounded), mode: mode))
        }
        jobs = total.jobs
        cached = total.cached
        toMake = total.toMake
        blockedByUpstream = plan.blockedCount
        duplicates = total.duplicates
        estimatedCost = Money.rounded(total.estimatedCost)
        unknownPriceJobs = total.unknownPriceJobs
        self.byModel = byModel.map(Self.roundingCost)
        self.byProvider = byProvider.sorted { $0.provider < $1.provider }.map(Self.roundingCost)
        self.rows = rows
        budget = maxCost.map(Money.rounded)
        // Under a budget, a job of unknown price could cost anything: the plan is not within it.
        withinBudget = maxCost.map { total.estimatedCost <= $0 + 1e-9 && total.unknownPriceJobs == 0 }
    }

    private static func index(of key: String, in indices: inout [String: Int], lines: inout [Line], make: () -> Line) -> Int {
        if let index = indices[key] { return index }
        lines.append(make())
        indices[key] = lines.count - 1
        return lines.count - 1
    }

    private static func roundingCost(_ line: Line) -> Line {
        var line = line
        line.estimatedCost = Money.rounded(line.estimatedCost)
        return line
    }

    static func stateName(_ kind: JobState.Kind) -> String {
        switch kind {
        case .cached: "cached"
        case .toMake: "to-make"
        case .blocked: "blocked"
        case .duplicate: "duplicate"
        }
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
