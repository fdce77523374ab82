import Foundation

/// `verify MANIFEST`: load, expand and evaluate, then hash every cached image of the manifest and
/// compare it with what the store recorded when it was made. A run trusts an entry whose size and
/// modification time are unchanged; this finds bit rot (and in-place edits) that kept both.
/// Nothing is changed: `run --verify` remakes what fails.
enum VerifyCommand {
    static let spec = CommandSpec(
        name: "verify", summary: "hash every cached image and report the ones whose bytes changed (no network)",
        positionals: "MANIFEST", options: NanobatchCLI.outputOption, flags: [:], minPositionals: 1, maxPositionals: 1)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        let evaluated = try build.plan()
        let cached: [(job: Job, entry: StoreEntry)] = evaluated.graph.jobs.indices.compactMap { index in
            if case .cached(_, let entry) = evaluated.states[index] { return (evaluated.graph.jobs[index], entry) }
            return nil
        }
        let hashing = ContentStore(root: build.layout.root, verifiesContents: true)
        let intact = ParallelMap.map(count: cached.count, chunk: 8) { hashing.lookup(cached[$0].entry.key) != nil }
        var corrupt = 0
        for (index, isIntact) in intact.enumerated() where !isIntact {
            corrupt += 1
            let (job, entry) = cached[index]
            let friendly = OutputLayout.friendlyName(job, entry.info.format)
            cli.console.out("corrupt: \(build.name)/\(friendly): its bytes no longer match their SHA-256 (\(entry.blobPath))\n")
        }
        cli.console.out("\(build.name): \(Plural.count(cached.count, "cached image")) checked, \(corrupt) corrupt\n")
        guard corrupt > 0 else { return .success }
        cli.console.out("run `nanobatch run \(parsed.positionals[0]) --verify` to make them again\n")
        return .jobsFailed
    }
}
