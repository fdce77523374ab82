import Foundation

extension BuildStamp {
    /// Records every file a fully cached build read or wrote (reference files, friendly files,
    /// reports, the journal, the exports), so the next identical run is a no-op, and one that finds
    /// any of them changed or gone (an export deleted, say) runs in full and puts it back.
    static func stampFullyCachedBuild(
        _ report: IndexReport, evaluated: EvaluatedPlan, layout: OutputLayout, manifest: String,
        journal: String, exports: [String] = [], stamp: String, context: String
    ) throws {
        var files: [String] = []
        files.reserveCapacity(report.jobs.count + evaluated.referenceHashes.count + 4)
        for reference in evaluated.referenceHashes.keys {
            if case .file(let path, _) = reference { files.append(path) }
        }
        let folderPath = layout.manifestFolder(manifest).path
        for row in report.jobs {
            guard let file = row.file else { return }
            files.append("\(folderPath)/\(file)")
        }
        files += OutputLayout.Report.allCases.map { layout.reportPath($0, manifest: manifest) }
        files.append(journal)
        files += exports
        try write(to: stamp, context: context, jobs: report.jobs.count, root: layout.rootPath, files: files)
    }
}
