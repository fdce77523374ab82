import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `lstat` says of one path: a symbolic link is described as itself, never as its target, so
/// code that deletes can tell a real folder or file from a link to somewhere else.
struct FileEntry: Equatable {
    /// Which file this is, whatever name it has: hard links to one image share it.
    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    enum Kind: Equatable {
        case folder, file, other
    }

    var kind: Kind
    var identity: Identity
    /// How many names (hard links) the file has.
    var links: Int

    static func at(_ path: String) -> FileEntry? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        let kind: Kind = type == S_IFDIR ? .folder : type == S_IFREG ? .file : .other
        return FileEntry(
            kind: kind, identity: Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), links: Int(info.st_nlink))
    }

    /// Regular files under `folder` (relative paths), without entering symbolic links.
    static func files(under folder: String) -> [(relative: String, entry: FileEntry)] {
        var found: [(String, FileEntry)] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let path = relative.isEmpty ? folder : "\(folder)/\(relative)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                let child = relative.isEmpty ? name : "\(relative)/\(name)"
                guard let entry = FileEntry.at("\(folder)/\(child)") else { continue }
                switch entry.kind {
                case .folder: pending.append(child)
                case .file: found.append((child, entry))
                case .other: continue
                }
            }
        }
        return found.sorted { $0.0 < $1.0 }
    }
}
