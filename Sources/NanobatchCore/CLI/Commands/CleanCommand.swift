import Foundation

/// `clean MANIFEST [--yes]`: load, expand and evaluate, then list (or delete) what no manifest under
/// the output root uses any more.
enum CleanCommand {
    static let spec = CommandSpec(
        name: "clean", summary: "list files and store entries no longer used; delete them with --yes",
        positionals: "MANIFEST", options: NanobatchCLI.outputOption, flags: ["yes": "clean: really delete"],
        minPositionals: 1, maxPositionals: 1)

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let build = try Build.load(manifestPath: parsed.positionals[0], outputOption: parsed.options["output"])
        let lock = try build.lock(.noWork)
        defer { withExtendedLifetime(lock) {} }
        let (layout, name, folder) = (build.layout, build.name, build.manifestFolder)
        let evaluated = try build.plan()
        let plan = CleanPlan.make(
            manifest: name, plan: evaluated, layout: layout, store: build.store, keep: evaluated.earlierTakeKeys())
        let delete = parsed.flags.contains("yes")
        let verb = delete ? "removed" : "would remove"
        for file in plan.friendlyFiles { cli.console.out("\(verb) \(folder.lastPathComponent)/\(file)\n") }
        for entry in plan.storeFiles { cli.console.out("\(verb) \(entry)\n") }
        if plan.keptForOthers > 0 {
            let entries = plan.keptForOthers == 1 ? "y" : "ies"
            cli.console.out("kept \(plan.keptForOthers) store entr\(entries) other manifests under \(layout.rootPath) still use\n")
        }
        for other in plan.foldersWithoutIndex {
            cli.console.out("note: \(other)/ has no readable index.json (a run stopped early?); the images its folder links are kept\n")
        }
        if delete {
            BuildStamp.remove(at: layout.stampPath(manifest: name))
            // unlink(2): a name is removed, never what a symbolic link points to.
            for file in plan.friendlyFiles { unlink(folder.appendingPathComponent(file).path) }
            for entry in plan.storeFiles { unlink(layout.root.appendingPathComponent(entry).path) }
            try BuildFailure.during("update the store's entries log", .noWork) { try build.store.forget(plan.removedKeys) }
            cli.console.out(
                "\(name): removed \(Plural.count(plan.friendlyFiles.count, "friendly file")) and \(Plural.count(plan.storeFiles.count, "store file"))\n"
            )
        } else {
            let count = plan.friendlyFiles.count + plan.storeFiles.count
            cli.console.out(
                count == 0
                    ? "\(name): nothing to clean\n"
                    : "\(name): \(Plural.count(count, "file")) no longer belong\(count == 1 ? "s" : "") to this manifest; run again with --yes to delete them\n"
            )
        }
        return .success
    }
}
