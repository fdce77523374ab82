import Foundation

/// `push MANIFEST [SELECTOR…]`: puts the images of the manifest that the local store holds into the
/// remote store (`--store`, else `NANOBATCH_STORE`, else the manifest's `"store"`): images made before
/// a store was named, or whose publication failed. What the store has is left as it is (create-only,
/// verified as `run` publishes). No paid request.
enum PushCommand {
    static let spec = CommandSpec(
        name: "push", summary: "put the images cached locally into the remote store (made before it was named, or not put there)",
        positionals: "MANIFEST [SELECTOR…]",
        options: NanobatchCLI.outputOption.merging([
            "store": NanobatchCLI.storeOptionHelp,
            "shard": "only the images of one shard: K/N (1-based), auto/N or auto, as `run --shard` splits them",
        ]) { $1 },
        flags: [:], minPositionals: 1, maxPositionals: nil)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) async throws -> ExitCode {
        let selectors = parsed.positionals.dropFirst().map(JobSelector.init)
        let shard = try ShardOption.parse(parsed.options["shard"], environment: cli.environment)
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        guard let remote = try build.remoteStore(option: parsed.options["store"], environment: cli.environment, plainHTTP: cli.plainHTTP)
        else {
            throw UsageError(
                "push needs a remote store",
                hint: "name one with --store URL, \(RemoteStoreSettings.urlVariable), or \"store\": {\"url\": …} in the manifest")
        }
        let lock = try build.lock(.noWork)
        defer { withExtendedLifetime(lock) {} }
        let share = try build.select(try build.plan(), selectors: selectors, shard: shard)
        var seen = Set<String>()
        let entries = share.plan.states.compactMap { state -> StoreEntry? in
            guard case .cached(let key, let entry) = state, seen.insert(key).inserted else { return nil }
            return entry
        }
        try await build.probe(remote, .noWork)
        let publisher = RemotePublisher(client: remote, shard: shard?.description)
        let failures = try await BoundedConcurrency.compactMap(count: entries.count, width: remote.policy.concurrency) {
            await publisher.publishNoting(entries[$0])
        }
        let pushed = publisher.publishedCount
        let missing = share.plan.states.filter { if case .cached = $0 { return false } else { return true } }.count
        cli.console.out(
            "\(build.name): \(Plural.count(pushed, "image")) put into \(remote.settings.displayURL), "
                + "\(entries.count - pushed - failures.count) there already, \(failures.count) failed"
                + (missing == 0 ? "\n" : "; \(Plural.count(missing, "job")) without an image here (`run` makes or fetches them)\n"))
        if let first = failures.first {
            throw BuildFailure(
                "put \(Plural.count(failures.count, "image")) into the remote store", because: "\(first); push again to retry",
                moment: .noWork)
        }
        return .success
    }
}
