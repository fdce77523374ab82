import Foundation

/// Every path under an output root, in one place: each manifest's deliverable folder (friendly
/// files and reports) and the tool's own files under `.nanobatch` (store, journal, lock, stamps).
package struct OutputLayout: Sendable, Equatable {
    /// The report files written into a manifest's folder.
    enum Report: String, CaseIterable, Sendable {
        case json = "index.json"
        case html = "index.html"
        case csv = "index.csv"
    }

    let root: URL

    init(root: URL) { self.root = root.standardizedFileURL }

    var rootPath: String { root.path }
    var toolDirectory: String { root.appendingPathComponent(".nanobatch").path }
    var lockPath: String { "\(toolDirectory)/lock" }
    var journalPath: String { "\(toolDirectory)/journal" }
    var storeDirectory: String { "\(toolDirectory)/store" }
    var temporaryDirectory: String { "\(toolDirectory)/tmp" }
    var entriesLogPath: String { "\(toolDirectory)/entries.log" }
    /// A store file's path relative to the root, as `clean` lists it.
    static func storeRelativePath(shard: String, name: String) -> String { ".nanobatch/store/\(shard)/\(name)" }

    /// A path as people read it: relative to the current directory when it lies under it.
    static func displayPath(_ path: String, currentDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        let base = URL(fileURLWithPath: currentDirectory).standardizedFileURL.path
        if path == base { return "." }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    func stampPath(manifest: String) -> String { "\(toolDirectory)/stamps/\(manifest).stamp" }

    /// The folder that holds a manifest's friendly files and reports.
    func manifestFolder(_ manifest: String) -> URL { root.appendingPathComponent(manifest) }

    func reportPath(_ report: Report, manifest: String) -> String {
        manifestFolder(manifest).appendingPathComponent(report.rawValue).path
    }

    /// A job's friendly file name, relative to its manifest's folder.
    static func friendlyName(_ job: Job, _ format: ImageFormat) -> String {
        "\(job.friendlyStem).\(format.fileExtension)"
    }

    /// A job's friendly file: `<root>/<manifest>/<prompt or step>/<stem>.<ext>`.
    func friendlyPath(_ job: Job, _ format: ImageFormat, manifest: String) -> String {
        "\(manifestFolder(manifest).path)/\(OutputLayout.friendlyName(job, format))"
    }
}
