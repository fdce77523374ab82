import Foundation

/// Re-rolls and picks: the takes file beside a manifest (`hero.json` → `hero.takes.json`), committed
/// with it like a lockfile so a build is reproducible from version control. One entry per job id that
/// has a take above 1 or a pick, keys in UTF-8 byte order, one line each:
///
///     {
///       "version": 1,
///       "jobs": {
///         "hero/local-nano-banana-2_16x9_v1": { "take": 2 },
///         "hero/local-nano-banana-2_16x9_v2": { "pick": 1 }
///       }
///     }
///
/// `take`: the job's current take (default 1). `pick`: this job's take N is its pick group's chosen image.
package struct Takes: Sendable, Equatable {
    package static let currentVersion = 1

    package struct Entry: Sendable, Equatable {
        package var take = 1
        package var pick: Int?
    }

    /// A pick: which job of a group, and which of its takes.
    package struct Pick: Sendable, Equatable {
        package var jobID: String
        package var take: Int
    }

    package private(set) var entries: [String: Entry] = [:]

    package init(entries: [String: Entry] = [:]) {
        self.entries = entries.filter { $0.value != Entry() }
    }

    /// The job's current take (1 unless re-rolled).
    package func take(of jobID: String) -> Int { entries[jobID]?.take ?? 1 }

    /// The take of `jobID` picked for its group, if this job holds the pick.
    package func pickedTake(of jobID: String) -> Int? { entries[jobID]?.pick }

    /// One take more for `jobID`; returns the new take.
    @discardableResult
    package mutating func reroll(_ jobID: String) -> Int {
        var entry = entries[jobID] ?? Entry()
        entry.take += 1
        entries[jobID] = entry
        return entry.take
    }

    /// Makes take `take` of `jobID` its group's pick; `groupJobIDs` (the other jobs of the group) lose theirs.
    package mutating func pick(_ jobID: String, take: Int, groupJobIDs: [String]) {
        for other in groupJobIDs where other != jobID {
            guard var entry = entries[other], entry.pick != nil else { continue }
            entry.pick = nil
            entries[other] = entry == Entry() ? nil : entry
        }
        var entry = entries[jobID] ?? Entry()
        entry.pick = take
        entries[jobID] = entry
    }

    // MARK: The file

    /// `<manifest without .json/.jsonc>.takes.json`, beside the manifest.
    package static func path(forManifest manifestPath: String) -> String {
        var base = manifestPath
        for suffix in [".jsonc", ".json"] where base.hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count))
            break
        }
        return base + ".takes.json"
    }

    /// The takes file's bytes: stable order, a final newline.
    package func encoded() -> Data {
        var out = TextBuffer()
        out.append("{\n  \"version\": \(Takes.currentVersion),\n  \"jobs\": {")
        let ids = entries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (position, id) in ids.enumerated() {
            let entry = entries[id]!
            out.append(position == 0 ? "\n    " : ",\n    ")
            out.appendJSONString(id)
            var fields: [String] = []
            if let pick = entry.pick { fields.append("\"pick\": \(pick)") }
            if entry.take > 1 { fields.append("\"take\": \(entry.take)") }
            out.append(": { \(fields.joined(separator: ", ")) }")
        }
        out.append(ids.isEmpty ? "}\n}\n" : "\n  }\n}\n")
        return out.data
    }

    /// Reads the takes file at `path`; no file is no takes. A broken file is a `ManifestError` naming it.
    package static func read(path: String) throws -> Takes {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw ManifestError(file: path, issues: [ManifestIssue(path: "", message: "cannot read the takes file")])
            }
            return Takes()
        }
        return try decode(data, file: path)
    }

    static func decode(_ data: Data, file: String) throws -> Takes {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data)
        } catch let error as JSONSyntaxError {
            let issue = ManifestIssue(path: "", message: "invalid JSON: \(error.message)", line: error.line, column: error.column)
            throw ManifestError(file: file, issues: [issue])
        }
        var decoder = ManifestDecoder()
        var entries: [String: Entry] = [:]
        if let top = decoder.object(root, at: .root, allowed: ["version", "jobs"]) {
            let version = decoder.integer("version", in: top, at: .root, range: 1...1_000_000, required: true)
            if let version, version != currentVersion {
                decoder.problem(.root.key("version"), "\(version) is not supported; this nanobatch reads version \(currentVersion)")
            }
            let jobsPath = JSONPath.root.key("jobs")
            for (id, value) in decoder.object(top["jobs"], at: jobsPath, allowed: top["jobs"]?.objectValue?.keys ?? [])?.entries ?? [] {
                let at = jobsPath.key(id)
                guard let fields = decoder.object(value, at: at, allowed: ["take", "pick"]) else { continue }
                let take = decoder.integer("take", in: fields, at: at, range: 1...1_000_000) ?? 1
                let pick = decoder.integer("pick", in: fields, at: at, range: 1...1_000_000)
                if let pick, pick > take { decoder.problem(at.key("pick"), "take \(pick) is not made yet (the job is at take \(take))") }
                entries[id] = Entry(take: take, pick: pick)
            }
        }
        guard decoder.issues.isEmpty else {
            throw ManifestError(file: file, issues: ManifestPositions(data).locate(decoder.issues))
        }
        return Takes(entries: entries)
    }

    /// Writes the takes file atomically (temporary file, fsync, rename).
    package func write(to path: String) throws {
        try FileIO.writeAtomically(encoded(), to: path)
    }
}
