import Foundation

/// The friendly files of jobs the manifest no longer has: a run removes them from the deliverable
/// folder, so the folder holds what the build says it holds. Only images nanobatch delivered go (a
/// file that is still a hard link into the store); the store keeps the image for `clean` to decide.
enum RemovedJobFiles {
    /// Removes the friendly file of each removed job; returns how many went.
    @discardableResult
    static func remove(_ removed: [String], previous: PreviousBuild, folder: URL) -> Int {
        var count = 0
        for id in removed {
            guard let file = previous.jobs[id]?.file, !file.contains(".."), !file.hasPrefix("/") else { continue }
            let path = folder.appendingPathComponent(file).path
            guard let entry = FileEntry.at(path), entry.kind == .file, entry.links >= 2 else { continue }
            if unlink(path) == 0 { count += 1 }
        }
        return count
    }
}
