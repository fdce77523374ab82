import Foundation

/// Exports stage: the evaluated plan (its jobs carry their takes and picks) and each job's store entry in; the manifest's
/// `exports` files out. Each export is a real copy of the picked image (its own inode, never a hard
/// link to the store, so editing it cannot corrupt the store), written to a temporary file beside it,
/// fsynced and renamed over the old one; a file already holding the same bytes is left alone.
package struct ExportWriter {
    /// One file to write.
    package struct Target: Sendable, Equatable {
        /// Relative to the export root, as the manifest's template renders it.
        package var path: String
        package var absolutePath: String
        package var jobID: String
        package var take: Int
        package var blobPath: String
    }

    /// What an export pass did.
    package struct Summary: Sendable, Equatable {
        package var written: [String] = []
        package var unchanged: [String] = []
        /// Groups without a file: several images and no pick yet, or the image not made.
        package var waiting: [String] = []
        /// Every exported file in place now (written or unchanged), absolute.
        package var files: [String] = []
    }

    package struct ExportError: Error, CustomStringConvertible {
        package let message: String
        package var description: String { message }
    }

    let plan: EvaluatedPlan
    /// The store entry of each job's current take, by job index (nil: not made).
    let entries: [StoreEntry?]
    let store: any ImageStore
    let root: URL

    package init(plan: EvaluatedPlan, entries: [StoreEntry?], store: any ImageStore, root: URL) {
        self.plan = plan
        self.entries = entries
        self.store = store
        self.root = root.standardizedFileURL
    }

    /// The files the manifest's rules ask for, and the groups that cannot have one yet.
    package func targets() throws -> (targets: [Target], waiting: [String]) {
        let jobs = plan.graph.jobs
        var targets: [Target] = []
        var waiting: [String] = []
        var seen: [String: String] = [:]
        for rule in plan.graph.manifest.exports.rules {
            var order: [PickGroup] = []
            var members: [PickGroup: [Job]] = [:]
            for job in jobs where job.group == rule.source {
                if members[job.pickGroup] == nil { order.append(job.pickGroup) }
                members[job.pickGroup, default: []].append(job)
            }
            for group in order {
                let path = rule.template.render(values(of: group))
                if let why = Exports.escapeProblem(path) { throw ExportError(message: "exports \"\(rule.path)\" → \"\(path)\": \(why)") }
                let absolute = root.appendingPathComponent(path).standardizedFileURL.path
                guard absolute.hasPrefix(root.path + "/") else {
                    throw ExportError(message: "exports \"\(rule.path)\" → \"\(path)\" would leave \(root.path)")
                }
                if let other = seen[absolute] {
                    throw ExportError(message: "exports \"\(rule.path)\" and \"\(other)\" both write \(path)")
                }
                seen[absolute] = rule.path
                let groupJobs = members[group] ?? []
                guard let (job, take) = choice(in: groupJobs) else {
                    // A group outside a subset run may have no image at all yet: say so, not "no pick".
                    let made = groupJobs.filter { entries[$0.index] != nil }.count
                    waiting.append(
                        made == 0
                            ? "\(path): no image made yet"
                            : "\(path): \(groupJobs.count) images and no pick yet (`nanobatch pick MANIFEST JOB`)")
                    continue
                }
                guard let entry = entry(of: job, take: take) else {
                    waiting.append("\(path): take \(take) of \(job.id) is not in the store yet")
                    continue
                }
                targets.append(Target(path: path, absolutePath: absolute, jobID: job.id, take: take, blobPath: entry.blobPath))
            }
        }
        return (targets, waiting)
    }

    /// Copies every target into place; returns what was written and what was already there.
    package func write() throws -> Summary {
        let (targets, waiting) = try targets()
        var summary = Summary(waiting: waiting)
        for target in targets {
            let image = try Data(contentsOf: URL(fileURLWithPath: target.blobPath))
            if FileIO.isRegularFile(target.absolutePath), FileIO.fileSize(target.absolutePath) == image.count,
                FileManager.default.contents(atPath: target.absolutePath) == image
            {
                summary.unchanged.append(target.path)
                summary.files.append(target.absolutePath)
                continue
            }
            // Beside the target, so the rename stays on one file system; a new inode every time.
            try FileIO.writeAtomically(image, to: target.absolutePath)
            summary.written.append(target.path)
            summary.files.append(target.absolutePath)
        }
        return summary
    }

    /// The group's pick, else its only job at its current take.
    func choice(in group: [Job]) -> (Job, Int)? {
        if let picked = group.first(where: { $0.pickedTake != nil }), let take = picked.pickedTake { return (picked, take) }
        if group.count == 1, let only = group.first { return (only, only.take) }
        return nil
    }

    /// The store entry of take `take` of `job` (its current one from the run, another from the store).
    func entry(of job: Job, take: Int) -> StoreEntry? {
        if take == job.take { return entries[job.index] }
        var earlier = job
        earlier.take = take
        var upstreamHash: String?
        if let upstream = job.upstream {
            guard let entry = entries[upstream] else { return nil }
            upstreamHash = entry.outputHash
        }
        return store.lookup(plan.key(for: earlier, upstreamOutputHash: upstreamHash))
    }

    /// Placeholder values of a group: `prompt` (the prompt or step id), `ratio` (`16x9`), and the variables, slugged.
    func values(of group: PickGroup) -> [String: String] {
        var values = ["prompt": group.source, "ratio": group.aspectRatio.replacingOccurrences(of: ":", with: "x")]
        for variable in group.variables { values[variable.name] = variable.slug }
        return values
    }
}
