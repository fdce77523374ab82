import Foundation

/// One problem in a manifest, located by its JSON path and, once the loader has placed it, by the
/// line and column where that value (or its nearest written parent) starts.
package struct ManifestIssue: Sendable, Equatable, CustomStringConvertible {
    /// An error stops the build; a warning is printed and the build goes on.
    package enum Severity: String, Sendable, Equatable {
        case error
        case warning
    }

    package var path: String
    package var message: String
    package var severity: Severity
    package var line: Int?
    package var column: Int?

    package init(path: String, message: String, severity: Severity = .error, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.severity = severity
        self.line = line
        self.column = column
    }

    /// `path: message`, or the message alone for the whole document.
    package var description: String { path.isEmpty ? message : "\(path): \(message)" }

    /// `file:line:column: error: path: message`, the form editors and CI logs make clickable.
    package func rendered(file: String) -> String {
        var place = file
        if let line, let column { place += ":\(line):\(column)" }
        return "\(place): \(severity.rawValue): \(description)"
    }
}

/// Every problem found in a manifest (errors, and any warnings found with them); nothing runs when
/// there is an error.
package struct ManifestError: Error, Sendable, CustomStringConvertible {
    package var file: String
    package var issues: [ManifestIssue]

    package init(file: String, issues: [ManifestIssue]) {
        self.file = file
        self.issues = issues
    }

    /// One line per issue, `file:line:column: error: path: message`.
    package var description: String {
        issues.map { $0.rendered(file: file) }.joined(separator: "\n")
    }
}

extension Manifest {
    /// The warnings, one `file:line:column: warning: path: message` line each (empty when none).
    package var warningText: String {
        warnings.map { $0.rendered(file: sourceName) + "\n" }.joined()
    }
}
