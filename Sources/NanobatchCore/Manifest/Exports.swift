import Foundation

/// `exports`: stable asset paths filled from picks. Each rule maps a path template (placeholders
/// `{{prompt}}` — the prompt or step id —, `{{ratio}}` as `16x9`, and the variables the source uses,
/// slugged) to a prompt or step id; every pick group of that source gets one file: its pick, or its
/// only image when the group has one job. Paths are relative to `root` (a folder the manifest names,
/// relative to its own folder), else to the output root, and never leave it.
package struct Exports: Sendable, Equatable {
    package struct Rule: Sendable, Equatable {
        /// The path as written (the key in `exports.files`).
        package var path: String
        package var template: Template
        /// The prompt or step id whose groups it exports.
        package var source: String
    }

    /// The folder the paths are relative to, as written; nil: the output root.
    package var root: String?
    package var rules: [Rule] = []

    package init(root: String? = nil, rules: [Rule] = []) {
        self.root = root
        self.rules = rules
    }

    /// The folder export paths resolve against: `root` (relative to the manifest's folder) or the output root.
    package func rootURL(manifestDirectory: URL, outputRoot: URL) -> URL {
        guard let root else { return outputRoot.standardizedFileURL }
        let url = root.hasPrefix("/") ? URL(fileURLWithPath: root) : manifestDirectory.appendingPathComponent(root)
        return url.standardizedFileURL
    }

    /// Why `path` (a rendered export path) may not be written under its root, or nil when it may:
    /// not absolute, no empty, `.` or `..` component.
    static func escapeProblem(_ path: String) -> String? {
        if path.hasPrefix("/") { return "an export path is relative to its root, not absolute" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0 == ".." }) { return "\"..\" would leave the export root" }
        if components.contains(where: { $0.isEmpty || $0 == "." }) { return "empty or \".\" path component" }
        return nil
    }
}
