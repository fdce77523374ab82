import Foundation
import NanobatchCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a body goes: memory, or for a 2xx answer into a file sink, the file. Enforces the size cap.
struct BodyCollector {
    private(set) var data = Data()
    private(set) var received = 0
    private var file: Int32 = -1
    private let limit: Int
    private let path: String?

    var writesFile: Bool { path != nil }

    init(sink: ResponseSink, status: Int, expected: Int?) throws {
        switch sink {
        case .memory(let limit):
            self.limit = limit
            path = nil
        case .file(let url, let limit):
            if (200..<300).contains(status) {
                self.limit = limit
                path = url.path
            } else {
                // Error bodies of downloads stay small: they are read for the message only.
                self.limit = min(limit, 1 << 20)
                path = nil
            }
        }
        if let expected, expected > limit { throw TransportError.tooLarge(limit: limit) }
        if let path {
            file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard file >= 0 else {
                throw TransportError.connection("cannot write \((path as NSString).lastPathComponent): \(String(cString: strerror(errno)))")
            }
        } else if let expected {
            data.reserveCapacity(expected)
        }
    }

    mutating func accept(_ bytes: UnsafeRawBufferPointer) throws {
        received += bytes.count
        guard received <= limit else { throw TransportError.tooLarge(limit: limit) }
        guard file >= 0 else {
            data.append(bytes.assumingMemoryBound(to: UInt8.self))
            return
        }
        var written = 0
        while written < bytes.count {
            let count = write(file, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw TransportError.connection("cannot write the download: \(String(cString: strerror(errno)))")
            }
            written += count
        }
    }

    mutating func finish() throws {
        if file >= 0 {
            let closed = close(file)
            file = -1
            if closed != 0 { throw TransportError.connection("cannot write the download: \(String(cString: strerror(errno)))") }
        }
    }

    mutating func closeFile() {
        if file >= 0 { close(file) }
        file = -1
    }
}
