import Foundation

/// The export step `run`, `report` and `pick` share: writes the manifest's `exports` and says what it
/// did. Returns the exported files (absolute), for the build stamp: a no-op run checks they are in place.
enum ExportStep {
    @discardableResult
    static func run(_ build: Build, _ plan: EvaluatedPlan, entries: [StoreEntry?], console: Console, moment: BuildFailure.Moment) throws
        -> [String]
    {
        let exports = build.manifest.exports
        guard !exports.rules.isEmpty else { return [] }
        let root = exports.rootURL(manifestDirectory: build.manifest.directory, outputRoot: build.layout.root)
        let writer = ExportWriter(plan: plan, entries: entries, store: build.store, root: root)
        let summary = try BuildFailure.during("write the exports under \(root.path)", moment) { try writer.write() }
        let shown = OutputLayout.displayPath(root.path)
        for path in summary.written { console.err("exported \(shown == "." ? "" : shown + "/")\(path)\n") }
        for line in summary.waiting { console.err("not exported: \(line)\n") }
        if summary.written.isEmpty && !summary.unchanged.isEmpty {
            console.err("exports: \(Plural.count(summary.unchanged.count, "file")) up to date\n")
        }
        return summary.files
    }
}
