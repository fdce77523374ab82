import Foundation

/// `explain`, `report` and `clean`: questions about a build, answered from the manifest, the store,
/// the journal and the previous `index.json`, without a network call.
extension NanobatchCLI {
    /// Writes `index.json`, `index.html` and `index.csv` into the manifest's folder, each atomically.
    /// The three are rendered and written in parallel (they are independent).
    static func writeReports(_ report: IndexReport, folder: URL, temporaryDirectory: String) throws -> String {
        let indexPath = folder.appendingPathComponent("index.json").path
        let writers: [@Sendable () throws -> Void] = [
            { try report.write(to: indexPath, temporaryDirectory: temporaryDirectory) },
            { try FileIO.writeAtomically(HTMLReport.renderBytes(report).bytes, to: folder.appendingPathComponent("index.html").path,
                                         temporaryDirectory: temporaryDirectory) },
            { try FileIO.writeAtomically(CSVReport.renderBytes(report).bytes, to: folder.appendingPathComponent("index.csv").path,
                                         temporaryDirectory: temporaryDirectory) },
        ]
        let failures = ErrorCollector()
        DispatchQueue.concurrentPerform(iterations: writers.count) { index in
            do { try writers[index]() } catch { failures.add(error) }
        }
        if let first = failures.first { throw first }
        return indexPath
    }

    func explain(_ parsed: ParsedArguments) throws -> ExitCode {
        let manifest = try ManifestLoader.load(path: parsed.positionals[0])
        let root = outputRoot(parsed, manifest)
        let store = ContentStore(root: root)
        let evaluated = try PlanEvaluator.evaluate(Planner.expand(manifest), store: store)
        let previous = PreviousBuild.read(root.appendingPathComponent("\(manifest.name)/index.json").path)
        var explanations = BuildExplainer.explain(evaluated, previous: previous, store: store)
        let wanted = Array(parsed.positionals.dropFirst())
        if !wanted.isEmpty {
            let known = Set(evaluated.graph.jobs.map(\.id))
            for id in wanted where !known.contains(id) && !known.contains(where: { $0.hasPrefix(id) }) {
                throw UsageError("no job \"\(id)\" in \(manifest.name); job ids look like \(evaluated.graph.jobs.first?.id ?? "prompt/provider-model_16x9_v1")")
            }
            explanations = explanations.filter { explanation in wanted.contains { explanation.job == $0 || explanation.job.hasPrefix($0) } }
        }
        if parsed.flags.contains("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            console.out(String(decoding: try encoder.encode(explanations), as: UTF8.self) + "\n")
            return .success
        }
        let total = evaluated.graph.jobs.count
        let sent = evaluated.graph.jobs.indices.filter(evaluated.willBeMade).count
        console.out("\(manifest.name): \(sent) of \(total) jobs would be made\(previous == nil ? " (no previous build to compare with)" : "")\n")
        for explanation in explanations {
            console.out("  \(explanation.job): \(explanation.detail)\n")
        }
        if !wanted.isEmpty {
            let explained = Set(explanations.map(\.job))
            for job in evaluated.graph.jobs where !explained.contains(job.id) && wanted.contains(where: { job.id == $0 || job.id.hasPrefix($0) }) {
                console.out("  \(job.id): up to date (cached)\n")
            }
        }
        return .success
    }

    /// The manifest, its output root and store, the run lock (held while the caller writes), and the plan.
    func openBuild(_ parsed: ParsedArguments) throws -> (Manifest, URL, ContentStore, FileLock, EvaluatedPlan) {
        let manifest = try ManifestLoader.load(path: parsed.positionals[0])
        let root = outputRoot(parsed, manifest)
        let store = ContentStore(root: root)
        guard let lock = try FileLock(path: root.appendingPathComponent(".nanobatch/lock").path) else {
            throw UsageError("a nanobatch run is using \(root.path); wait for it to finish")
        }
        return (manifest, root, store, lock, try PlanEvaluator.evaluate(Planner.expand(manifest), store: store))
    }

    func report(_ parsed: ParsedArguments) throws -> ExitCode {
        let (manifest, root, store, lock, evaluated) = try openBuild(parsed)
        BuildStamp.remove(at: BuildStamp.path(root: root, manifestName: manifest.name))
        let folder = root.appendingPathComponent(manifest.name)
        let previousIndex = folder.appendingPathComponent("index.json").path
        let previous = PreviousBuild.read(previousIndex)
        var outcomes: [JobOutcome] = []
        for (index, state) in evaluated.states.enumerated() {
            let job = evaluated.graph.jobs[index]
            if case .cached(let key, let entry) = state {
                try? store.link(entry, to: folder.appendingPathComponent("\(job.friendlyStem).\(entry.info.format.fileExtension)").path)
                outcomes.append(JobOutcome(status: .cached, key: key, entry: entry))
            } else if let before = previous?.jobs[job.id], before.status == "failed" || before.status == "skipped", before.key == state.key {
                outcomes.append(JobOutcome(status: before.status == "failed" ? .failed : .skipped, key: state.key, error: before.error))
            } else {
                outcomes.append(JobOutcome(status: .skipped, key: state.key, error: "not made yet; `nanobatch run` makes it"))
            }
        }
        let journalPath = root.appendingPathComponent(".nanobatch/journal").path
        let unresolved = SubmissionJournal.analyse(SubmissionJournal.read(journalPath).records, hasResult: { store.lookup($0) != nil },
                                                   now: Date().timeIntervalSince1970).unresolved
        var diff: BuildDiff?
        if let previousDiff = previous?.raw["diff"], let data = Optional(previousDiff.data()) {
            diff = try? JSONDecoder().decode(BuildDiff.self, from: data)
        }
        let report = IndexReport(plan: evaluated, outcomes: outcomes, outputRoot: root,
                                 wallSeconds: previous?.raw.at("totals", "wallSeconds")?.numberValue ?? 0, stoppedBecause: nil,
                                 facts: IndexReport.RunFacts(budget: manifest.budget?.maxCost, unresolvedSubmissions: unresolved, diff: diff))
        let written = try NanobatchCLI.writeReports(report, folder: folder, temporaryDirectory: store.temporaryDirectory)
        withExtendedLifetime(lock) {}
        let totals = report.totals
        console.out("\(manifest.name): report rebuilt from the store — \(totals.cached) in the store, \(totals.failed) failed, \(totals.skipped) not made\n")
        console.out("index: \(written)\npage:  \(folder.appendingPathComponent("index.html").path)\n")
        return .success
    }

    func clean(_ parsed: ParsedArguments) throws -> ExitCode {
        let (manifest, root, store, lock, evaluated) = try openBuild(parsed)
        let folder = root.appendingPathComponent(manifest.name)
        let plan = CleanPlan.make(manifest: manifest.name, plan: evaluated, root: root, store: store)
        let delete = parsed.flags.contains("yes")
        for file in plan.friendlyFiles { console.out("\(delete ? "removed" : "would remove") \(folder.lastPathComponent)/\(file)\n") }
        for entry in plan.storeFiles { console.out("\(delete ? "removed" : "would remove") \(entry)\n") }
        if plan.keptForOthers > 0 {
            console.out("kept \(plan.keptForOthers) store entr\(plan.keptForOthers == 1 ? "y" : "ies") other manifests under \(root.path) still use\n")
        }
        if delete {
            BuildStamp.remove(at: BuildStamp.path(root: root, manifestName: manifest.name))
            for file in plan.friendlyFiles { try? FileManager.default.removeItem(at: folder.appendingPathComponent(file)) }
            for entry in plan.storeFiles { try? FileManager.default.removeItem(at: root.appendingPathComponent(entry)) }
            try store.forget(Set(plan.storeFiles.map { String(($0 as NSString).lastPathComponent.split(separator: ".").first ?? "") }))
            console.out("\(manifest.name): removed \(plan.friendlyFiles.count) friendly file(s) and \(plan.storeFiles.count) store file(s)\n")
        } else {
            let count = plan.friendlyFiles.count + plan.storeFiles.count
            console.out(count == 0 ? "\(manifest.name): nothing to clean\n"
                        : "\(manifest.name): \(count) file(s) no longer belong to this manifest; run again with --yes to delete them\n")
        }
        withExtendedLifetime(lock) {}
        return .success
    }
}

/// What `clean` would remove: friendly files no job of the manifest produces, and store entries no
/// manifest under the root uses (this one's current keys, plus every key in the other manifests'
/// `index.json`).
public struct CleanPlan: Sendable {
    /// Relative to the manifest's folder.
    public var friendlyFiles: [String]
    /// Relative to the output root.
    public var storeFiles: [String]
    public var keptForOthers: Int

    static let reportFiles: Set<String> = ["index.json", "index.html", "index.csv"]

    public static func make(manifest: String, plan: EvaluatedPlan, root: URL, store: ContentStore) -> CleanPlan {
        let folder = root.appendingPathComponent(manifest)
        var wanted = Set<String>()
        for (index, job) in plan.graph.jobs.enumerated() {
            if case .cached(_, let entry) = plan.states[index] {
                wanted.insert("\(job.friendlyStem).\(entry.info.format.fileExtension)")
            } else {
                for format in ImageFormat.allCases { wanted.insert("\(job.friendlyStem).\(format.fileExtension)") }
            }
        }
        var friendly: [String] = []
        if let enumerator = FileManager.default.enumerator(atPath: folder.path) {
            while let relative = enumerator.nextObject() as? String {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path, isDirectory: &isDirectory),
                      !isDirectory.boolValue, !reportFiles.contains(relative), !wanted.contains(relative) else { continue }
                friendly.append(relative)
            }
        }

        let ownKeys = Set(plan.states.compactMap(\.key))
        var otherKeys = Set<String>()
        let siblings = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for sibling in siblings where sibling != manifest && !sibling.hasPrefix(".") {
            guard let other = PreviousBuild.read(root.appendingPathComponent("\(sibling)/index.json").path) else { continue }
            for job in other.jobs.values { if let key = job.key { otherKeys.insert(key) } }
        }
        var storeFiles: [String] = []
        var kept = Set<String>()
        let storeRoot = URL(fileURLWithPath: store.storeDirectory)
        for shard in ((try? FileManager.default.contentsOfDirectory(atPath: storeRoot.path)) ?? []).sorted() {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: storeRoot.appendingPathComponent(shard).path)) ?? []
            for name in names.sorted() {
                let key = String(name.split(separator: ".").first ?? "")
                if ownKeys.contains(key) { continue }
                if otherKeys.contains(key) { kept.insert(key); continue }
                storeFiles.append(".nanobatch/store/\(shard)/\(name)")
            }
        }
        return CleanPlan(friendlyFiles: friendly.sorted(), storeFiles: storeFiles, keptForOthers: kept.count)
    }
}

final class ErrorCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func add(_ error: any Error) { lock.withLock { errors.append(error) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}
