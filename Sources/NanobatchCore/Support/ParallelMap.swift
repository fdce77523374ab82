import Foundation

/// Maps `0..<count` on every core, in chunks, keeping the order of the results.
enum ParallelMap {
    static func map<T: Sendable>(count: Int, chunk: Int = 256, _ transform: @Sendable (Int) -> T) -> [T] {
        let chunks = (count + chunk - 1) / chunk
        guard chunks > 1 else { return (0..<count).map(transform) }
        let collected = ChunkResults<T>()
        DispatchQueue.concurrentPerform(iterations: chunks) { part in
            collected.store(part, (part * chunk..<min(count, (part + 1) * chunk)).map(transform))
        }
        return collected.joined(chunks: chunks)
    }
}

private final class ChunkResults<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [Int: [T]] = [:]

    func store(_ part: Int, _ values: [T]) { lock.withLock { parts[part] = values } }

    func joined(chunks: Int) -> [T] {
        lock.withLock { (0..<chunks).flatMap { parts[$0] ?? [] } }
    }
}
