import Foundation

/// The command-line front: arguments in, exit code out. `main.swift` only wires signals to this.
public struct NanobatchCLI: Sendable {
    public let console: Console
    public let environment: [String: String]
    public let stop: StopSignal
    /// Overrides the providers built from the manifest (tests inject counting or failing ones).
    public let providerOverride: (@Sendable (ProviderConfig) -> (any ImageProvider)?)?

    /// The transport for `http://` URLs (the executable's own client); nil: URLSession.
    public let plainHTTP: (any HTTPTransport)?

    public init(console: Console, environment: [String: String], stop: StopSignal = StopSignal(),
                providerOverride: (@Sendable (ProviderConfig) -> (any ImageProvider)?)? = nil, plainHTTP: (any HTTPTransport)? = nil) {
        self.plainHTTP = plainHTTP
        self.console = console
        self.environment = environment
        self.stop = stop
        self.providerOverride = providerOverride
    }

    static let outputOption = ["output": "output root (default: the manifest's \"output\", else ./output)"]

    public static let commands: [CommandSpec] = [
        CommandSpec(name: "validate", summary: "check a manifest; report every problem with its JSON path",
                    positionals: "MANIFEST", options: [:], flags: [:], minPositionals: 1, maxPositionals: 1),
        CommandSpec(name: "plan", summary: "show jobs, cache state and estimated cost; no network",
                    positionals: "MANIFEST", options: outputOption.merging(["max-cost": "budget in USD (overrides the manifest's)"]) { $1 },
                    flags: ["json": "print the plan as JSON"], minPositionals: 1, maxPositionals: 1),
        CommandSpec(name: "run", summary: "make every image that is not cached; write index.json",
                    positionals: "MANIFEST", options: outputOption.merging([
                        "max-cost": "budget in USD (overrides the manifest's)",
                        "concurrency": "global limit on jobs in flight (overrides the manifest's)",
                    ]) { $1 }, flags: ["quiet": "no progress lines"], minPositionals: 1, maxPositionals: 1),
        CommandSpec(name: "explain", summary: "say why each job would be made (new, prompt, reference bytes, upstream, options, bad entry)",
                    positionals: "MANIFEST [JOB…]", options: outputOption, flags: ["json": "print the explanations as JSON"],
                    minPositionals: 1, maxPositionals: nil),
        CommandSpec(name: "report", summary: "rebuild index.json, index.html and index.csv from the store; no network",
                    positionals: "MANIFEST", options: outputOption, flags: [:], minPositionals: 1, maxPositionals: 1),
        CommandSpec(name: "clean", summary: "list files and store entries no longer used; delete them with --yes",
                    positionals: "MANIFEST", options: outputOption, flags: ["yes": "clean: really delete"],
                    minPositionals: 1, maxPositionals: 1),
        CommandSpec(name: "help", summary: "show this help", positionals: "", options: [:], flags: [:],
                    minPositionals: 0, maxPositionals: 1),
        CommandSpec(name: "version", summary: "print the version", positionals: "", options: [:], flags: [:],
                    minPositionals: 0, maxPositionals: 0),
    ]

    public static let version = "0.2.0"

    public static var usage: String {
        var text = "nanobatch \(version) — turn a JSON manifest into a finished, cached set of AI-generated images\n\n"
        text += "Usage: nanobatch <command> [options] MANIFEST\n\nCommands:\n"
        for spec in commands { text += "  \(spec.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(spec.summary)\n" }
        text += "\nOptions:\n"
        var seen = Set<String>()
        for spec in commands {
            for (name, help) in spec.options.merging(spec.flags, uniquingKeysWith: { a, _ in a }).sorted(by: { $0.key < $1.key })
            where seen.insert(name).inserted {
                let label = spec.options[name] != nil ? "--\(name) VALUE" : "--\(name)"
                text += "  \(label.padding(toLength: 20, withPad: " ", startingAt: 0)) \(help)\n"
            }
        }
        text += "\nExit status: 0 all jobs succeeded, 1 some failed, 2 usage or manifest error, 3 over budget, 130 interrupted.\n"
        return text
    }

    public func run(_ arguments: [String]) async -> Int32 {
        if arguments.isEmpty || ["-h", "--help"].contains(arguments.first!) {
            console.out(NanobatchCLI.usage)
            return arguments.isEmpty ? ExitCode.usage.rawValue : ExitCode.success.rawValue
        }
        do {
            let (_, parsed) = try ArgumentParser.parse(arguments, commands: NanobatchCLI.commands)
            switch parsed.command {
            case "help": console.out(NanobatchCLI.usage); return 0
            case "version": console.out("nanobatch \(NanobatchCLI.version)\n"); return 0
            case "validate": return try validate(parsed).rawValue
            case "plan": return try plan(parsed).rawValue
            case "run": return try await runManifest(parsed).rawValue
            case "explain": return try explain(parsed).rawValue
            case "report": return try report(parsed).rawValue
            case "clean": return try clean(parsed).rawValue
            default: throw UsageError("unknown command \(parsed.command)")
            }
        } catch let error as ManifestError {
            console.err("error: \(error)\n")
            return ExitCode.usage.rawValue
        } catch let error as UsageError {
            console.err("error: \(error.message)\nRun `nanobatch help` for usage.\n")
            return ExitCode.usage.rawValue
        } catch let error as PlanError {
            console.err("error: \(error.message)\n")
            return ExitCode.usage.rawValue
        } catch {
            console.err("error: \(error)\n")
            return ExitCode.usage.rawValue
        }
    }

    func validate(_ parsed: ParsedArguments) throws -> ExitCode {
        let manifest = try ManifestLoader.load(path: parsed.positionals[0])
        let graph = Planner.expand(manifest)
        console.out("\(parsed.positionals[0]): valid — \(graph.jobs.count) jobs across \(manifest.providers.count) provider\(manifest.providers.count == 1 ? "" : "s")\n")
        return .success
    }

    /// The output root: `--output`, else the manifest's `output` (relative to the manifest), else ./output.
    func outputRoot(_ parsed: ParsedArguments, _ manifest: Manifest) -> URL {
        if let option = parsed.options["output"] {
            return URL(fileURLWithPath: option).standardizedFileURL
        }
        if let output = manifest.output {
            let url = output.hasPrefix("/") ? URL(fileURLWithPath: output) : manifest.directory.appendingPathComponent(output)
            return url.standardizedFileURL
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("output").standardizedFileURL
    }

    func plan(_ parsed: ParsedArguments) throws -> ExitCode {
        let manifest = try ManifestLoader.load(path: parsed.positionals[0])
        let root = outputRoot(parsed, manifest)
        let evaluated = try PlanEvaluator.evaluate(Planner.expand(manifest), store: ContentStore(root: root))
        let summary = PlanSummary(plan: evaluated, maxCost: try ArgumentParser.number(parsed, "max-cost") ?? manifest.budget?.maxCost)
        if parsed.flags.contains("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            console.out(String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n")
        } else {
            console.out(summary.renderText())
        }
        return summary.withinBudget == false ? .overBudget : .success
    }

    func runManifest(_ parsed: ParsedArguments) async throws -> ExitCode {
        let manifestPath = parsed.positionals[0]
        let manifest = try ManifestLoader.load(path: manifestPath)
        let root = outputRoot(parsed, manifest)
        let store = ContentStore(root: root)
        try FileIO.createDirectory(root.path)
        guard let lock = try FileLock(path: root.appendingPathComponent(".nanobatch/lock").path) else {
            throw UsageError("another nanobatch run is using \(root.path); wait for it to finish")
        }
        let maxCost = try ArgumentParser.number(parsed, "max-cost") ?? manifest.budget?.maxCost
        let folder = root.appendingPathComponent(manifest.name)
        let stampPath = BuildStamp.path(root: root, manifestName: manifest.name)
        let stampContext = BuildStamp.context(manifest: manifest, root: root.path, maxCost: maxCost)
        if let jobs = BuildStamp.check(at: stampPath, context: stampContext, root: root.path) {
            withExtendedLifetime(lock) {}
            console.err("""
                \(manifest.name): 0 made, \(jobs) cached, 0 failed, 0 skipped · spent $0.00
                since the previous build: 0 new, 0 made again, \(jobs) unchanged, 0 removed
                no-op: the manifest, its reference files and all \(jobs) outputs are as the last full check left them; reports kept
                index: \(folder.appendingPathComponent("index.json").path)
                page:  \(folder.appendingPathComponent("index.html").path)

                """)
            return .success
        }
        BuildStamp.remove(at: stampPath)
        // Read while the plan is made: the previous index (for the diff) and the store's entries log.
        let previousPath = root.appendingPathComponent("\(manifest.name)/index.json").path
        let previousRead = Task.detached { PreviousBuild.read(previousPath) }
        let storeRead = Task.detached { store.preload() }
        let graph = Planner.expand(manifest)
        await storeRead.value
        store.removeAbandonedTemporaries()
        try store.compactLogIfWorthIt()
        let evaluated = try PlanEvaluator.evaluate(graph, store: store)
        let summary = PlanSummary(plan: evaluated, maxCost: maxCost)
        if summary.withinBudget == false, let maxCost {
            if summary.estimatedCost <= maxCost + 1e-9 {
                console.err("error: \(summary.unknownPriceJobs) job\(summary.unknownPriceJobs == 1 ? " has" : "s have") no known price, so the budget \(Money.format(maxCost)) cannot be kept; nothing was run. Set their price in \"pricing\".\n")
            } else {
                console.err("error: the estimated cost \(Money.format(summary.estimatedCost)) exceeds the budget \(Money.format(maxCost)); nothing was run. Raise budget.maxCost or pass --max-cost.\n")
            }
            return .overBudget
        }
        let journal = try SubmissionJournal(root: root) { store.lookup($0) != nil }
        let previous = await previousRead.value
        let diff = previous.map { BuildDiff(plan: evaluated, previous: $0,
                                            explanations: BuildExplainer.explain(evaluated, previous: $0, store: store)) }
        if !journal.unresolved.isEmpty {
            console.err("note: \(journal.unresolved.count) submission\(journal.unresolved.count == 1 ? "" : "s") of an earlier run ended without a result and may have been paid (listed in index.json under unresolvedSubmissions)\n")
        }

        // Build only the providers that have work; a fully cached build needs no API key.
        var providers: [String: any ImageProvider] = [:]
        var governors: [String: RateGovernor] = [:]
        let needed = Set(evaluated.graph.jobs.filter { evaluated.willBeMade($0.index) }.map(\.provider))
        var transport: StandardTransport?
        func sharedTransport() -> StandardTransport {
            if let transport { return transport }
            let made = StandardTransport(environment: environment, plainHTTP: plainHTTP)
            transport = made
            return made
        }
        for config in manifest.providers where needed.contains(config.name) {
            let governor = RateGovernor(concurrency: config.concurrency, requestsPerMinute: config.requestsPerMinute)
            governors[config.name] = governor
            providers[config.name] = try providerOverride?(config)
                ?? ProviderFactory.make(config, environment: environment, transport: sharedTransport(), governor: governor)
        }

        let printer = parsed.flags.contains("quiet") ? nil : ProgressPrinter(console: console)
        let concurrency = try ArgumentParser.integer(parsed, "concurrency", range: 1...1024) ?? manifest.concurrency
        var limits: [String: Int] = [:]
        var deadlines: [String: Duration] = [:]
        for config in manifest.providers {
            limits[config.name] = config.concurrency
            deadlines[config.name] = .seconds(config.deadlineSeconds)
        }
        var progress: (@Sendable (RunProgress) -> Void)?
        if let printer { progress = { printer.update($0) } }
        let runner = Runner(plan: evaluated, store: store, providers: providers, manifestFolder: folder,
                            globalLimit: concurrency, providerLimits: limits, deadlines: deadlines,
                            stop: stop, progress: progress, journal: journal, governors: governors, budget: maxCost)
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes = await runner.run()
        let interrupted = stop.stopReason != nil || Task.isCancelled
        let report = IndexReport(plan: evaluated, outcomes: outcomes, outputRoot: root,
                                 wallSeconds: start.duration(to: clock.now).seconds,
                                 stoppedBecause: stop.stopReason ?? (Task.isCancelled ? "interrupted" : nil),
                                 facts: IndexReport.RunFacts(budget: maxCost, unresolvedSubmissions: journal.unresolved,
                                                             rateLimitCuts: governors.compactMapValues { $0.cutCount > 0 ? $0.cutCount : nil },
                                                             diff: diff))
        let indexPath = try NanobatchCLI.writeReports(report, folder: folder, temporaryDirectory: store.temporaryDirectory)
        // Stamped only when the next full run would write the same reports (apart from times).
        let nothingChanged = diff.map { $0.new.isEmpty && $0.madeAgain.isEmpty && $0.removed.isEmpty } ?? false
        if !interrupted, nothingChanged, report.totals.cached == report.jobs.count, journal.unresolved.isEmpty {
            try? stampFullyCachedBuild(report, evaluated: evaluated, folder: folder, journal: journal.path,
                                       stamp: stampPath, context: stampContext, root: root.path)
        }
        withExtendedLifetime(lock) {}

        let totals = report.totals
        var line = "\(manifest.name): \(totals.made) made, \(totals.cached) cached, \(totals.failed) failed, \(totals.skipped) skipped"
        line += " · spent \(Money.describe(totals.actualCost))"
        if totals.made > 0 {
            line += " (list price of what was made: \(Money.format(totals.estimatedCost))"
            line += totals.unknownPriceJobs > 0 ? " + \(totals.unknownPriceJobs) of unknown price)" : ")"
        }
        if let diff {
            line += "\nsince the previous build: \(diff.new.count) new, \(diff.madeAgain.count) made again, \(diff.unchanged) unchanged, \(diff.removed.count) removed"
        }
        console.err(line + "\nindex: \(indexPath)\npage:  \(folder.appendingPathComponent("index.html").path)\n")
        for row in report.jobs where row.status == .failed {
            console.err("  failed \(row.id): \(row.error ?? "unknown error")\n")
        }
        if totals.skippedForBudget > 0 {
            console.err("budget: \(totals.skippedForBudget) job\(totals.skippedForBudget == 1 ? " was" : "s were") not submitted; spending more would have exceeded \(Money.format(maxCost ?? 0))\n")
        }
        if totals.resumedTasks > 0 {
            console.err("resumed \(totals.resumedTasks) task\(totals.resumedTasks == 1 ? "" : "s") an earlier run had paid for, instead of creating new ones\n")
        }
        for (provider, cuts) in report.rateLimitCuts ?? [:] {
            console.err("provider \(provider) answered 429 (rate limited): its concurrency was cut \(cuts) time\(cuts == 1 ? "" : "s")\n")
        }
        var announced = Set<String>()
        for (job, outcome) in zip(evaluated.graph.jobs, outcomes) where outcome.stopsProvider && announced.insert(job.provider).inserted {
            let unsent = outcomes.enumerated().filter { evaluated.graph.jobs[$0.offset].provider == job.provider && $0.element.status == .skipped }.count
            console.err("provider \(job.provider) stopped: \(outcome.error ?? "refused"); \(unsent) of its jobs were not submitted. Fix this, then run again: finished images are kept.\n")
        }
        if interrupted {
            console.err("stopped: \(report.stoppedBecause ?? "interrupted"); finished images are kept, rerun to continue\n")
            return .interrupted
        }
        if totals.failed == 0 && totals.skippedForBudget > 0 { return .overBudget }
        return totals.failed + totals.skipped > 0 ? .jobsFailed : .success
    }

    /// Records every file a fully cached build read or wrote, so the next identical run is a no-op.
    func stampFullyCachedBuild(_ report: IndexReport, evaluated: EvaluatedPlan, folder: URL, journal: String,
                               stamp: String, context: String, root: String) throws {
        var files: [String] = []
        files.reserveCapacity(report.jobs.count + evaluated.referenceHashes.count + 4)
        for reference in evaluated.referenceHashes.keys {
            if case .file(let path, _) = reference { files.append(path) }
        }
        let folderPath = folder.path
        for row in report.jobs {
            guard let file = row.file else { return }
            files.append("\(folderPath)/\(file)")
        }
        files += ["index.json", "index.html", "index.csv"].map { "\(folderPath)/\($0)" }
        files.append(journal)
        try BuildStamp.write(to: stamp, context: context, jobs: report.jobs.count, root: root, files: files)
    }
}
