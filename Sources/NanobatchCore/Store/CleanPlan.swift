import Foundation

/// What `clean` would remove, decided so that it never deletes what someone still uses:
/// - a friendly file goes only when no job of the manifest produces it and it is an image this tool
///   delivered: a name of a store entry in a prompt's or step's folder, or a file the manifest's last
///   index lists that is still the stored image; references, notes, edits, copies and anything else
///   kept in the folder stay;
/// - a store entry goes only when this manifest no longer uses it, no other manifest's `index.json`
///   lists it, and no file outside the store links to it (a manifest whose run was killed before
///   writing its index still links its images from its folder);
/// - store folders and files are read without following symbolic links.
struct CleanPlan: Sendable {
    /// Relative to the manifest's folder.
    var friendlyFiles: [String]
    /// Relative to the output root.
    var storeFiles: [String]
    var keptForOthers: Int
    /// Other manifests' folders without a readable `index.json`.
    var foldersWithoutIndex: [String]

    /// The content keys of `storeFiles`.
    var removedKeys: Set<String> {
        Set(storeFiles.map { String(($0 as NSString).lastPathComponent.split(separator: ".").first ?? "") })
    }

    /// One image file of the store.
    struct Blob {
        var relative: String
        var key: String
        var entry: FileEntry
    }

    /// `keep`: further keys the manifest still uses (its jobs' earlier takes).
    static func make(manifest: String, plan: EvaluatedPlan, layout: OutputLayout, store: ContentStore, keep: Set<String> = []) -> CleanPlan
    {
        let blobs = storeBlobs(store)
        let blobIdentities = Set(blobs.map(\.entry.identity))
        let delivered = Set(PreviousBuild.read(layout.reportPath(.json, manifest: manifest))?.jobs.values.compactMap(\.file) ?? [])
        let wanted = wantedFiles(plan)
        let reportFiles = Set(OutputLayout.Report.allCases.map(\.rawValue))
        var friendly: [String] = []
        var staleLinks: [FileEntry.Identity: Int] = [:]
        // Friendly files live in a folder per prompt or step; a copy made elsewhere (`cp -al hero hero-old`) is the user's.
        let folders = Set((wanted.union(delivered)).compactMap { $0.split(separator: "/").first.map(String.init) })
        for (relative, entry) in FileEntry.files(under: layout.manifestFolder(manifest).path)
        where !reportFiles.contains(relative) && !wanted.contains(relative) {
            let inAJobFolder = relative.split(separator: "/").first.map { folders.contains(String($0)) && relative.contains("/") } ?? false
            // A listed file with one link was replaced since it was delivered (an edit saved by rename): kept.
            let isDeliveredImage = delivered.contains(relative) && entry.links >= 2
            guard inAJobFolder && blobIdentities.contains(entry.identity) || isDeliveredImage else { continue }
            friendly.append(relative)
            staleLinks[entry.identity, default: 0] += 1
        }

        var otherKeys = Set<String>()
        var withoutIndex: [String] = []
        for sibling in ((try? FileManager.default.contentsOfDirectory(atPath: layout.rootPath)) ?? []).sorted()
        where sibling != manifest && !sibling.hasPrefix(".") && FileEntry.at("\(layout.rootPath)/\(sibling)")?.kind == .folder {
            guard let other = PreviousBuild.read(layout.reportPath(.json, manifest: sibling)) else {
                withoutIndex.append(sibling)
                continue
            }
            for job in other.jobs.values { if let key = job.key { otherKeys.insert(key) } }
        }

        let ownKeys = Set(plan.states.compactMap(\.key)).union(keep)
        var storeFiles: [String] = []
        var kept = Set<String>()
        for blob in blobs where !ownKeys.contains(blob.key) {
            let linkedElsewhere = blob.entry.links - 1 - staleLinks[blob.entry.identity, default: 0] > 0
            if otherKeys.contains(blob.key) || linkedElsewhere {
                kept.insert(blob.key)
            } else {
                storeFiles.append(blob.relative)
            }
        }
        return CleanPlan(friendlyFiles: friendly, storeFiles: storeFiles, keptForOthers: kept.count, foldersWithoutIndex: withoutIndex)
    }

    /// Every friendly name a job of the plan may have.
    private static func wantedFiles(_ plan: EvaluatedPlan) -> Set<String> {
        var wanted = Set<String>()
        for (index, job) in plan.graph.jobs.enumerated() {
            if case .cached(_, let entry) = plan.states[index] {
                wanted.insert(OutputLayout.friendlyName(job, entry.info.format))
            } else {
                for format in ImageFormat.allCases { wanted.insert(OutputLayout.friendlyName(job, format)) }
            }
        }
        return wanted
    }

    /// The store's image files: regular files named `<key>.<ext>` in real two-character shard folders.
    private static func storeBlobs(_ store: ContentStore) -> [Blob] {
        var blobs: [Blob] = []
        for shard in ((try? FileManager.default.contentsOfDirectory(atPath: store.storeDirectory)) ?? []).sorted()
        where shard.count == 2 && FileEntry.at("\(store.storeDirectory)/\(shard)")?.kind == .folder {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: "\(store.storeDirectory)/\(shard)")) ?? []).sorted() {
                guard let entry = FileEntry.at("\(store.storeDirectory)/\(shard)/\(name)"), entry.kind == .file,
                    let key = name.split(separator: ".").first.map(String.init), key.hasPrefix(shard)
                else { continue }
                blobs.append(Blob(relative: OutputLayout.storeRelativePath(shard: shard, name: name), key: key, entry: entry))
            }
        }
        return blobs
    }
}
