import Foundation

/// The images jobs had before this build made them again, when the store still holds them: the page
/// shows each beside its new image. Read from the previous build's keys, so nothing is kept on purpose.
enum PreviousImages {
    /// Job id → store path of the previous image, relative to the output root.
    static func find(_ diff: BuildDiff?, previous: PreviousBuild?, store: any ImageStore, rootPath: String) -> [String: String] {
        guard let diff, let previous else { return [:] }
        var found: [String: String] = [:]
        for remade in diff.madeAgain {
            guard let key = previous.jobs[remade.id]?.key, let entry = store.lookup(key) else { continue }
            var path = entry.blobPath
            if path.hasPrefix(rootPath + "/") { path = String(path.dropFirst(rootPath.count + 1)) }
            found[remade.id] = path
        }
        return found
    }

    /// For `report`: the previous images the last build recorded, of jobs it made again, still in the store.
    static func recorded(in previous: PreviousBuild?, rootPath: String) -> [String: String] {
        guard let previous, let madeAgain = previous.recordedDiff?.madeAgain else { return [:] }
        var found: [String: String] = [:]
        for remade in madeAgain {
            guard let path = previous.jobs[remade.id]?.previousStorePath, FileIO.fileSize("\(rootPath)/\(path)") != nil else { continue }
            found[remade.id] = path
        }
        return found
    }
}
