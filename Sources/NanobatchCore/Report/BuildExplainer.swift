import Foundation

/// What the previous build recorded about one job: enough to say why it must be made again.
struct PreviousJob: Sendable, Equatable {
    var key: String?
    var status = "unknown"
    var error: String?
    var prompt = ""
    var dialect = ""
    var model = ""
    var aspectRatio = ""
    var imageSize: String?
    var requestedFormat: String?
    var variant: Int?
    /// The take (re-rolls); indexes written before takes existed have none, which reads as take 1.
    var take: Int?
    var references: [String] = []
    var referenceHashes: [String]?
    var upstreamOutputHash: String?
    /// The friendly file, relative to the manifest's folder.
    var file: String?
    /// The image the job had before that build made it again (store path relative to the output root).
    var previousStorePath: String?
}

/// The previous build of a manifest, read from its `index.json` (absent or unreadable: no previous build).
struct PreviousBuild: Sendable {
    var generatedAt: String?
    var jobs: [String: PreviousJob]
    /// Job ids in the previous build's order.
    var order: [String]
    /// Everything but the rows.
    var raw: JSONValue

    /// The diff the previous build recorded against the one before it (`report` keeps it).
    var recordedDiff: BuildDiff? { raw["diff"].flatMap { try? JSONDecoder().decode(BuildDiff.self, from: $0.data()) } }
    var recordedWallSeconds: Double? { raw.at("totals", "wallSeconds")?.numberValue }

    /// Reads the rows field by field (an index of 100,000 jobs is about 90 MB); the rest becomes `raw`.
    static func read(_ indexPath: String) -> PreviousBuild? {
        guard let data = FileManager.default.contents(atPath: indexPath) else { return nil }
        var cursor = JSONCursor(data)
        var top = JSONObject()
        var jobs: [String: PreviousJob] = [:]
        var order: [String] = []
        var sawRows = false
        do {
            try cursor.beginObject()
            while let key = try cursor.nextKey() {
                if top[key] != nil || (key == "jobs" && sawRows) { return nil }  // a duplicate key: not an index we wrote
                guard key == "jobs", try cursor.peek() == .array else {
                    top[key] = try cursor.readValue()
                    continue
                }
                sawRows = true
                try cursor.beginArray()
                while try cursor.nextElement() {
                    guard let (id, job) = try readRow(&cursor) else { continue }
                    order.append(id)
                    jobs[id] = job
                }
            }
            try cursor.expectEnd()
        } catch {
            return nil
        }
        guard sawRows else { return nil }
        return PreviousBuild(generatedAt: top["generatedAt"]?.stringValue, jobs: jobs, order: order, raw: .object(top))
    }

    /// One row of `jobs`: its id and what the explainer compares; a row that is not an object, or has no id, gives nil.
    private static func readRow(_ cursor: inout JSONCursor) throws -> (String, PreviousJob)? {
        guard try cursor.peek() == .object else {
            try cursor.skipValue()
            return nil
        }
        var id: String?
        var job = PreviousJob()  // what a row without the field means
        try cursor.beginObject()
        while let field = try cursor.nextKey() {
            switch field {
            case "id": id = try cursor.stringIfString()
            case "key": job.key = try cursor.stringIfString()
            case "status": job.status = try cursor.stringIfString() ?? "unknown"
            case "error": job.error = try cursor.stringIfString()
            case "prompt": job.prompt = try cursor.stringIfString() ?? ""
            case "dialect": job.dialect = try cursor.stringIfString() ?? ""
            case "model": job.model = try cursor.stringIfString() ?? ""
            case "aspectRatio": job.aspectRatio = try cursor.stringIfString() ?? ""
            case "imageSize": job.imageSize = try cursor.stringIfString()
            case "requestedFormat": job.requestedFormat = try cursor.stringIfString()
            case "variant": job.variant = try cursor.numberIfNumber().flatMap { Int(exactly: $0) }
            case "take": job.take = try cursor.numberIfNumber().flatMap { Int(exactly: $0) }
            case "references": job.references = try cursor.stringsIfArray() ?? []
            case "referenceHashes": job.referenceHashes = try cursor.stringsIfArray()
            case "upstreamOutputHash": job.upstreamOutputHash = try cursor.stringIfString()
            case "file": job.file = try cursor.stringIfString()
            case "previousStorePath": job.previousStorePath = try cursor.stringIfString()
            default: try cursor.skipValue()
            }
        }
        guard let id else { return nil }
        return (id, job)
    }
}

/// Why each job that will be sent must be made, in the spirit of `ninja -d explain`.
enum BuildExplainer {
    enum Reason: String, Codable, Sendable {
        case noEntryYet = "no entry yet"
        case promptChanged = "prompt changed"
        case referenceBytesChanged = "a reference's bytes changed"
        case referencesChanged = "references changed"
        case upstreamChanged = "upstream output changed"
        case modelOrOptionsChanged = "model or options changed"
        case entryFailedCheck = "entry failed its check"
        case sameRequest = "same request as another job"
        case rerolled = "re-rolled"
    }

    struct Explanation: Sendable, Codable, Equatable {
        var job: String
        var reasons: [Reason]
        /// The reasons with their specifics ("prompt changed: \"A red cube\" → \"A blue cube\"").
        var detail: String
    }

    /// One explanation per job that is not cached, in job order.
    static func explain(_ plan: EvaluatedPlan, previous: PreviousBuild?, store: any ImageStore) -> [Explanation] {
        let jobs = plan.graph.jobs
        var result: [Explanation] = []
        var willChange = Set<Int>()
        for (index, state) in plan.states.enumerated() {
            let job = jobs[index]
            let before = previous?.jobs[job.id]
            switch state {
            case .cached:
                continue
            case .duplicate(_, let first):
                result.append(Explanation(job: job.id, reasons: [.sameRequest], detail: "same request as \(jobs[first].id); made once"))
                continue
            case .blocked(let upstream):
                willChange.insert(index)
                guard let before else {
                    result.append(
                        Explanation(job: job.id, reasons: [.noEntryYet], detail: "no entry yet (new job; waits for \(jobs[upstream].id))"))
                    continue
                }
                var found = differences(job, plan: plan, before: before, upstreamHash: nil)
                if !found.contains(where: { $0.0 == .upstreamChanged }) {
                    found.append((.upstreamChanged, "upstream output changed: \(jobs[upstream].id) will be made again"))
                }
                result.append(Explanation(job: job.id, reasons: found.map(\.0), detail: found.map(\.1).joined(separator: "; ")))
            case .toMake(let key):
                willChange.insert(index)
                guard let before else {
                    result.append(Explanation(job: job.id, reasons: [.noEntryYet], detail: "no entry yet (new job)"))
                    continue
                }
                let upstreamHash = job.upstream.flatMap { upstream -> String? in
                    if case .cached(_, let entry) = plan.states[upstream] { return entry.outputHash }
                    return nil
                }
                if before.key == key {
                    if store.hasBlob(for: key) {
                        result.append(
                            Explanation(
                                job: job.id, reasons: [.entryFailedCheck],
                                detail: "entry failed its check (the stored image is incomplete or corrupt)"))
                    } else if ["failed", "skipped", JobStatus.notSelected.rawValue].contains(before.status) {
                        result.append(
                            Explanation(
                                job: job.id, reasons: [.noEntryYet],
                                detail: "no entry yet (last build: \(before.status)\(before.error.map { ": \($0)" } ?? ""))"))
                    } else {
                        result.append(
                            Explanation(job: job.id, reasons: [.noEntryYet], detail: "no entry yet (the image is gone from the store)"))
                    }
                    continue
                }
                let found = differences(job, plan: plan, before: before, upstreamHash: upstreamHash)
                if found.isEmpty {
                    result.append(Explanation(job: job.id, reasons: [.noEntryYet], detail: "no entry yet (its content key changed)"))
                } else {
                    result.append(Explanation(job: job.id, reasons: found.map(\.0), detail: found.map(\.1).joined(separator: "; ")))
                }
            }
        }
        return result
    }

    static func differences(
        _ job: Job, plan: EvaluatedPlan, before: PreviousJob,
        upstreamHash: String?
    ) -> [(Reason, String)] {
        var found: [(Reason, String)] = []
        if (before.take ?? 1) != job.take { found.append((.rerolled, "re-rolled: take \(before.take ?? 1) → \(job.take)")) }
        if before.prompt != job.promptText {
            let (old, new) = changedParts(before.prompt, job.promptText)
            found.append((.promptChanged, "prompt changed: \(old) → \(new)"))
        }
        var options: [String] = []
        if before.dialect != job.dialect { options.append("dialect \(before.dialect) → \(job.dialect)") }
        if before.model != job.model { options.append("model \(before.model) → \(job.model)") }
        if before.aspectRatio != job.aspectRatio { options.append("ratio \(before.aspectRatio) → \(job.aspectRatio)") }
        if before.imageSize != job.imageSize { options.append("size \(before.imageSize ?? "none") → \(job.imageSize ?? "none")") }
        if let format = before.requestedFormat, format != job.format.rawValue {
            options.append("format \(format) → \(job.format.rawValue)")
        }
        if let variant = before.variant, variant != job.variant { options.append("variant \(variant) → \(job.variant)") }
        if !options.isEmpty { found.append((.modelOrOptionsChanged, "model or options changed: " + options.joined(separator: ", "))) }
        let written = job.references.map(\.written)
        if before.references != written {
            found.append((.referencesChanged, "references changed: \(before.references) → \(written)"))
        } else if let hashes = before.referenceHashes, hashes.count == written.count {
            let now = job.references.map { plan.referenceHashes[$0] ?? "" }
            let changed = zip(written, zip(hashes, now)).filter { $0.1.0 != $0.1.1 }.map(\.0)
            if !changed.isEmpty {
                found.append((.referenceBytesChanged, "a reference's bytes changed: \(changed.joined(separator: ", "))"))
            }
        }
        if let upstreamHash, let old = before.upstreamOutputHash, old != upstreamHash {
            found.append((.upstreamChanged, "upstream output changed"))
        }
        return found
    }

    /// The two texts from a little before where they first differ, so the change is visible.
    static func changedParts(_ old: String, _ new: String) -> (String, String) {
        let common = zip(old, new).prefix { $0 == $1 }.count
        let start = max(0, common - 20)
        func from(_ text: String) -> String {
            let tail = String(text.dropFirst(start))
            return quoted((start > 0 ? "…" : "") + tail)
        }
        return (from(old), from(new))
    }

    static func quoted(_ text: String) -> String {
        let short = text.count > 60 ? String(text.prefix(57)) + "…" : text
        return "\"\(short)\""
    }
}

/// The build diff against the previous build of the same manifest, job by job:
/// - new: the previous build had no image for the job (no row, or it failed, was skipped or not started);
/// - made again: it had one, and this run sends the job again (with why, as `explain` says);
/// - restored from cache: it had another image, and the store still holds the one this build asks
///   for (a reverted prompt brings back the older image without paying again);
/// - unchanged: the same image as before; removed: rows of the previous build that are gone.
struct BuildDiff: Codable, Sendable {
    struct Remade: Codable, Sendable, Equatable {
        var id: String
        var reason: String
    }

    var previousBuild: String?
    var new: [String]
    var madeAgain: [Remade]
    var restored: [Remade]
    var unchanged: Int
    var removed: [String]
    /// Changed since the previous build, but this run made no image for them (failed or skipped).
    var changedNotMade: [Remade] = []

    /// `explanations` are the ones computed before the run (what `explain` says).
    init(plan: EvaluatedPlan, previous: PreviousBuild, explanations: [BuildExplainer.Explanation]) {
        previousBuild = previous.generatedAt
        let jobs = plan.graph.jobs
        let current = Set(jobs.map(\.id))
        let reasons = Dictionary(explanations.map { ($0.job, $0.detail) }, uniquingKeysWith: { first, _ in first })
        var new: [String] = []
        var remade: [Remade] = []
        var restored: [Remade] = []
        var unchanged = 0
        for (index, job) in jobs.enumerated() {
            guard let before = previous.jobs[job.id], before.status == "made" || before.status == "cached" else {
                new.append(job.id)
                continue
            }
            let state = plan.states[index]
            if plan.willBeMade(index), let reason = reasons[job.id] {
                remade.append(Remade(id: job.id, reason: reason))
            } else if let key = state.key, before.key != key {
                // Another image than the previous build's: from the store (cached, or shared with a cached job) or made now.
                var source = index
                if case .duplicate(_, let first) = state { source = first }
                if case .cached = plan.states[source] {
                    restored.append(Remade(id: job.id, reason: BuildDiff.restoredReason(index, plan: plan, before: before)))
                } else {
                    remade.append(Remade(id: job.id, reason: reasons[job.id] ?? "same request as \(jobs[source].id)"))
                }
            } else {
                unchanged += 1
            }
        }
        self.new = new
        madeAgain = remade
        self.restored = restored
        self.unchanged = unchanged
        removed = previous.order.filter { !current.contains($0) }
    }

    /// What changed since the previous build, and that the image came from the store.
    static func restoredReason(_ index: Int, plan: EvaluatedPlan, before: PreviousJob) -> String {
        let job = plan.graph.jobs[index]
        let upstreamHash = job.upstream.flatMap { upstream -> String? in
            if case .cached(_, let entry) = plan.states[upstream] { return entry.outputHash }
            return nil
        }
        let found = BuildExplainer.differences(job, plan: plan, before: before, upstreamHash: upstreamHash)
        let what = found.isEmpty ? "its content key changed" : found.map(\.1).joined(separator: "; ")
        return what + "; the store still had the image for it"
    }

    /// Indexes written before `restored` existed read as having none.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        previousBuild = try container.decodeIfPresent(String.self, forKey: .previousBuild)
        new = try container.decode([String].self, forKey: .new)
        madeAgain = try container.decode([Remade].self, forKey: .madeAgain)
        restored = try container.decodeIfPresent([Remade].self, forKey: .restored) ?? []
        unchanged = try container.decode(Int.self, forKey: .unchanged)
        removed = try container.decode([String].self, forKey: .removed)
        changedNotMade = try container.decodeIfPresent([Remade].self, forKey: .changedNotMade) ?? []
    }

    /// After the run: a job sent again whose run failed or was skipped has no new image, so it is
    /// "changed, not made" rather than "made again".
    mutating func settle(jobs: [Job], outcomes: [JobOutcome]) {
        let notMade = Set(zip(jobs, outcomes).filter { ![.made, .cached].contains($0.1.status) }.map(\.0.id))
        changedNotMade = madeAgain.filter { notMade.contains($0.id) }
        madeAgain.removeAll { notMade.contains($0.id) }
    }

    /// "2 new, 1 made again, 1 restored from cache, 8 unchanged, 0 removed" (restored only when there are some).
    var counts: String {
        var parts = ["\(new.count) new", "\(madeAgain.count) made again"]
        if !restored.isEmpty { parts.append("\(restored.count) restored from cache") }
        parts += ["\(unchanged) unchanged", "\(removed.count) removed"]
        if !changedNotMade.isEmpty { parts.append("\(changedNotMade.count) changed but not made") }
        return parts.joined(separator: ", ")
    }

    /// Each job's row words: "new", "made again" or "restored from cache", with the reason; unchanged jobs are absent.
    func changesByJob() -> [String: (change: String, reason: String?)] {
        var changes: [String: (change: String, reason: String?)] = [:]
        for id in new { changes[id] = ("new", nil) }
        for job in restored where changes[job.id] == nil { changes[job.id] = ("restored from cache", job.reason) }
        for job in madeAgain where changes[job.id] == nil { changes[job.id] = ("made again", job.reason) }
        for job in changedNotMade where changes[job.id] == nil { changes[job.id] = ("changed, not made", job.reason) }
        return changes
    }

    /// Nothing to tell: the next run writes the same reports.
    var isEmpty: Bool { new.isEmpty && madeAgain.isEmpty && restored.isEmpty && removed.isEmpty && changedNotMade.isEmpty }
}
