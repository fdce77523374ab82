import Foundation

/// Maps `0..<count` on every core, in chunks, into one array in order.
enum ParallelMap {
    static func map<T: Sendable>(count: Int, chunk: Int = 256, _ transform: @Sendable (Int) -> T) -> [T] {
        let chunks = (count + chunk - 1) / chunk
        guard chunks > 1 else { return (0..<count).map(transform) }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let slots = DisjointSlots(base: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { part in
                for index in part * chunk..<min(count, (part + 1) * chunk) {
                    (slots.base + index).initialize(to: transform(index))
                }
            }
            initialized = count
        }
    }
}

/// One buffer that several threads write at once, each its own chunk of it.
private struct DisjointSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}
