import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file of newline-separated records (JSONL) one line at a time with bounded memory: it
/// reads `chunkBytes` at a time and holds at most one line plus one chunk, so a results file of
/// gigabytes is never read whole. A line longer than `maxLineBytes` is a clear error, not a memory spike.
package final class JSONLineReader {
    package struct LineTooLong: Error, CustomStringConvertible {
        package var lineNumber: Int
        package var limit: Int
        package var description: String {
            "line \(lineNumber) is longer than the \(ByteCount.describe(limit)) limit for one result line"
        }
    }

    package static let defaultMaxLineBytes = 64 << 20
    package static let defaultChunkBytes = 1 << 20

    package let maxLineBytes: Int
    private let chunkBytes: Int
    private let handle: FileHandle
    /// Bytes read but not yet returned start at `start`; `scanned` bytes from `start` hold no newline.
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var atEnd = false
    /// The number of the line last returned (1-based; blank lines count).
    package private(set) var lineNumber = 0

    package init(url: URL, maxLineBytes: Int = defaultMaxLineBytes, chunkBytes: Int = defaultChunkBytes) throws {
        handle = try FileHandle(forReadingFrom: url)
        self.maxLineBytes = max(1, maxLineBytes)
        self.chunkBytes = max(1, chunkBytes)
    }

    deinit { try? handle.close() }

    /// The next non-blank line without its line ending, or `nil` at the end of the file.
    package func next() throws -> Data? {
        while true {
            guard let line = try nextLine() else { return nil }
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return line }
        }
    }

    /// Reads every non-blank line in order, handing each to `body`.
    package func eachLine(_ body: (Data) throws -> Void) throws {
        while let line = try next() { try body(line) }
    }

    private func nextLine() throws -> Data? {
        while true {
            let pending = buffer.count - start
            if pending > scanned {
                let found = buffer.withUnsafeBufferPointer { pointer -> Int? in
                    let from = pointer.baseAddress! + start + scanned
                    guard let hit = memchr(from, 0x0A, pending - scanned) else { return nil }
                    return UnsafeRawPointer(hit) - UnsafeRawPointer(pointer.baseAddress!)
                }
                if let newline = found {
                    if newline - start > maxLineBytes { throw LineTooLong(lineNumber: lineNumber + 1, limit: maxLineBytes) }
                    return take(upTo: newline, skipping: 1)
                }
                scanned = pending
            }
            if scanned > maxLineBytes { throw LineTooLong(lineNumber: lineNumber + 1, limit: maxLineBytes) }
            if atEnd {
                return pending > 0 ? take(upTo: buffer.count, skipping: 0) : nil
            }
            try fill()
        }
    }

    /// The line from `start` to `end` (a trailing CR dropped); the next line starts after `skipping` bytes.
    private func take(upTo end: Int, skipping: Int) -> Data {
        var last = end
        if last > start, buffer[last - 1] == 0x0D { last -= 1 }
        let line = Data(buffer[start..<last])
        start = end + skipping
        scanned = 0
        lineNumber += 1
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * chunkBytes)
            start = 0
        }
        return line
    }

    private func fill() throws {
        // Drop returned bytes before growing, so the buffer holds one line and one chunk at most.
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        guard let chunk = try handle.read(upToCount: chunkBytes), !chunk.isEmpty else {
            atEnd = true
            return
        }
        buffer.append(contentsOf: chunk)
    }
}
