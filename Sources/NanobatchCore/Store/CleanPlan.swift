import Foundation

/// What `clean` would remove: friendly files no job of the manifest produces, and store entries no
/// manifest under the root uses (this one's current keys, plus every key in the other manifests'
/// `index.json`).
struct CleanPlan: Sendable {
    /// Relative to the manifest's folder.
    var friendlyFiles: [String]
    /// Relative to the output root.
    var storeFiles: [String]
    var keptForOthers: Int

    /// The content keys of `storeFiles`.
    var removedKeys: Set<String> {
        Set(storeFiles.map { String(($0 as NSString).lastPathComponent.split(separator: ".").first ?? "") })
    }

    static func make(manifest: String, plan: EvaluatedPlan, layout: OutputLayout, store: ContentStore) -> CleanPlan {
        let folder = layout.manifestFolder(manifest)
        var wanted = Set<String>()
        for (index, job) in plan.graph.jobs.enumerated() {
            if case .cached(_, let entry) = plan.states[index] {
                wanted.insert(OutputLayout.friendlyName(job, entry.info.format))
            } else {
                for format in ImageFormat.allCases { wanted.insert(OutputLayout.friendlyName(job, format)) }
            }
        }
        let reportFiles = Set(OutputLayout.Report.allCases.map(\.rawValue))
        var friendly: [String] = []
        if let enumerator = FileManager.default.enumerator(atPath: folder.path) {
            while let relative = enumerator.nextObject() as? String {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path, isDirectory: &isDirectory),
                    !isDirectory.boolValue, !reportFiles.contains(relative), !wanted.contains(relative)
                else { continue }
                friendly.append(relative)
            }
        }

        let ownKeys = Set(plan.states.compactMap(\.key))
        var otherKeys = Set<String>()
        let siblings = (try? FileManager.default.contentsOfDirectory(atPath: layout.rootPath)) ?? []
        for sibling in siblings where sibling != manifest && !sibling.hasPrefix(".") {
            guard let other = PreviousBuild.read(layout.reportPath(.json, manifest: sibling)) else { continue }
            for job in other.jobs.values { if let key = job.key { otherKeys.insert(key) } }
        }
        var storeFiles: [String] = []
        var kept = Set<String>()
        let storeRoot = URL(fileURLWithPath: store.storeDirectory)
        for shard in ((try? FileManager.default.contentsOfDirectory(atPath: storeRoot.path)) ?? []).sorted() {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: storeRoot.appendingPathComponent(shard).path)) ?? []
            for name in names.sorted() {
                let key = String(name.split(separator: ".").first ?? "")
                if ownKeys.contains(key) { continue }
                if otherKeys.contains(key) {
                    kept.insert(key)
                    continue
                }
                storeFiles.append(OutputLayout.storeRelativePath(shard: shard, name: name))
            }
        }
        return CleanPlan(friendlyFiles: friendly.sorted(), storeFiles: storeFiles, keptForOthers: kept.count)
    }
}
