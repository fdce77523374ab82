import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes new image files durable in groups. One `syncfs` covers every file written before it
/// started, so a burst of images costs one journal commit and one disk flush instead of one each.
/// A caller that finds a sync already running waits for the next one (the running one may have
/// started before its file was written); a failed group sync, or a system without `syncfs`,
/// falls back to the caller's own `fsync`, which reports the file's own error.
final class GroupSync: @unchecked Sendable {
    private let condition = NSCondition()
    private let syncFileSystem: SyncFileSystem?
    private var started = 0
    private var finished = 0
    private var failed: Set<Int> = []
    private var running = false
    private var waiting = 0

    init(syncFileSystem: SyncFileSystem? = GroupSync.systemSyncFileSystem) {
        self.syncFileSystem = syncFileSystem
    }

    /// Group syncs started so far, and callers waiting for one (the tests watch both).
    var syncCount: Int { condition.withLock { started } }
    var waitingCount: Int { condition.withLock { waiting } }

    typealias SyncFileSystem = @Sendable (Int32) -> Int32
    /// `syncfs(2)`, looked up at run time (the Glibc module does not declare it).
    static let systemSyncFileSystem: SyncFileSystem? = {
        #if os(Linux)
            typealias CFunction = @convention(c) (Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
            let function = unsafeBitCast(symbol, to: CFunction.self)
            return { function($0) }
        #else
            return nil
        #endif
    }()

    /// Returns once the data written to `fd` is on disk.
    func makeDurable(_ fd: Int32, path: String) throws {
        guard let syncFileSystem else { return try FileIO.check(fsync(fd), "fsync", path) }
        condition.lock()
        // The first sync to start from now on covers this file.
        let needed = started + 1
        while finished < needed {
            if running {
                waiting += 1
                condition.wait()
                waiting -= 1
                continue
            }
            running = true
            started += 1
            let generation = started
            condition.unlock()
            let result = syncFileSystem(fd)
            condition.lock()
            if result != 0 { failed.insert(generation) }
            finished = generation
            running = false
            condition.broadcast()
        }
        let groupFailed = failed.contains(needed)
        condition.unlock()
        if groupFailed { try FileIO.check(fsync(fd), "fsync", path) }
    }
}
