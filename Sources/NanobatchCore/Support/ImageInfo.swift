import Foundation

package enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case png, jpeg, webp

    var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    var mimeType: String { "image/\(rawValue)" }
}

/// What an image header says: its format and pixel size.
package struct ImageInfo: Codable, Sendable, Equatable {
    var format: ImageFormat
    var width: Int
    var height: Int
}

/// Reads image headers and checks that a file is whole, without decoding pixels.
enum ImageInspector {
    /// Identifies PNG, JPEG and WebP from their leading bytes; `nil` when the bytes are not a known image.
    static func inspect(_ bytes: [UInt8]) -> ImageInfo? {
        if bytes.count >= 24, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            Array(bytes[12..<16]) == Array("IHDR".utf8)
        {
            let width = Int(readBE32(bytes, 16))
            let height = Int(readBE32(bytes, 20))
            guard width > 0, height > 0 else { return nil }
            return ImageInfo(format: .png, width: width, height: height)
        }
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return inspectJPEG(bytes)
        }
        if bytes.count >= 30, Array(bytes[0..<4]) == Array("RIFF".utf8), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return inspectWebP(bytes)
        }
        return nil
    }

    private static func readBE32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func readLE(_ b: [UInt8], _ i: Int, _ count: Int) -> Int {
        var value = 0
        for k in 0..<count { value |= Int(b[i + k]) << (8 * k) }
        return value
    }

    private static func inspectJPEG(_ b: [UInt8]) -> ImageInfo? {
        var i = 2
        while i + 9 < b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF {
                i += 1
                continue
            }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 {
                i += 2
                continue
            }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2 else { return nil }
            let isStartOfFrame = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
            if isStartOfFrame {
                let height = Int(b[i + 5]) << 8 | Int(b[i + 6])
                let width = Int(b[i + 7]) << 8 | Int(b[i + 8])
                guard width > 0, height > 0 else { return nil }
                return ImageInfo(format: .jpeg, width: width, height: height)
            }
            i += 2 + length
        }
        return nil
    }

    private static func inspectWebP(_ b: [UInt8]) -> ImageInfo? {
        let chunk = String(decoding: b[12..<16], as: UTF8.self)
        switch chunk {
        case "VP8X":
            return ImageInfo(format: .webp, width: readLE(b, 24, 3) + 1, height: readLE(b, 27, 3) + 1)
        case "VP8 ":
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else { return nil }
            let width = readLE(b, 26, 2) & 0x3FFF
            let height = readLE(b, 28, 2) & 0x3FFF
            guard width > 0, height > 0 else { return nil }
            return ImageInfo(format: .webp, width: width, height: height)
        case "VP8L":
            guard b[20] == 0x2F else { return nil }
            let bits = readLE(b, 21, 4)
            return ImageInfo(format: .webp, width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1)
        default:
            return nil
        }
    }

    /// Bytes of the header region read for `inspectFile` (large enough for JPEG EXIF blocks).
    static let headerWindow = 256 * 1024

    /// Checks a file cheaply: a known image header, and an ending that says the file is whole
    /// (PNG's IEND chunk, JPEG's EOI marker, WebP's RIFF length).
    static func inspectFile(at path: String) -> ImageInfo? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 64), head.count >= 4 else { return nil }
        var bytes = [UInt8](head)
        if bytes[0] == 0xFF, let more = try? handle.read(upToCount: headerWindow - 64) { bytes += more }
        guard let info = inspect(bytes) else { return nil }
        guard let size = try? handle.seekToEnd(), size >= 16 else { return nil }
        let tailLength: UInt64 = 12
        guard (try? handle.seek(toOffset: size - tailLength)) != nil,
            let tailData = try? handle.read(upToCount: Int(tailLength))
        else { return nil }
        return endsWhole(info, head: bytes, tail: [UInt8](tailData), size: Int(size)) ? info : nil
    }

    /// Whether the file ends as its format says: PNG's IEND chunk, JPEG's EOI marker, WebP's RIFF size.
    static func endsWhole(_ info: ImageInfo, head: [UInt8], tail: [UInt8], size: Int) -> Bool {
        switch info.format {
        case .png:
            return tail == pngEnd
        case .jpeg:
            return tail.count >= 2 && tail[tail.count - 2] == 0xFF && tail[tail.count - 1] == 0xD9
        case .webp:
            let declared = readLE(head, 4, 4) + 8
            return declared == size || declared + 1 == size
        }
    }

    static let pngEnd: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
}

/// What one read of a finished image file found: its kind and size, byte count and SHA-256.
struct ExaminedImage: Sendable {
    var info: ImageInfo
    var bytes: Int
    var sha256: String
}

extension ImageInspector {
    /// Reads the file once: checks its header and ending as `inspectFile` does and hashes it;
    /// with `sync`, fsyncs the same descriptor before returning. `nil` when it is not a whole image.
    static func examineFile(at path: String, sync: Bool = false) throws -> ExaminedImage? {
        try examineFile(at: path, beforeClosing: sync ? { fd in try FileIO.check(fsync(fd), "fsync", path) } : nil)
    }

    /// `examineFile`, running `beforeClosing` (such as a sync) on the same descriptor after the read.
    static func examineFile(at path: String, beforeClosing: ((Int32) throws -> Void)?) throws -> ExaminedImage? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var hasher = SHA256Hasher()
        var head: [UInt8] = []
        var tail: [UInt8] = []
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileIO.Failure(operation: "read", path: path, code: errno)
            }
            if count == 0 { break }
            let piece = chunk[0..<count]
            hasher.update(bytes: piece)
            if head.count < headerWindow { head += piece.prefix(headerWindow - head.count) }
            tail = Array((tail + piece).suffix(12))
            total += count
        }
        try beforeClosing?(fd)
        guard head.count >= 4, let info = inspect(head[0] == 0xFF ? head : Array(head.prefix(64))), total >= 16,
            endsWhole(info, head: head, tail: tail, size: total)
        else { return nil }
        return ExaminedImage(info: info, bytes: total, sha256: hasher.finalize().hexString)
    }
}

extension ImageInspector {
    /// `inspectFile`'s checks on bytes in memory: a known header and an ending that says the image is whole.
    static func inspectWhole(_ data: Data) -> ImageInfo? {
        guard data.count >= 16 else { return nil }
        let head = [UInt8](data.prefix(data.first == 0xFF ? headerWindow : 64))
        guard let info = inspect(head), endsWhole(info, head: head, tail: [UInt8](data.suffix(12)), size: data.count) else { return nil }
        return info
    }

    /// `examineFile` on bytes in memory: `inspectWhole`, plus the byte count and SHA-256.
    static func examine(_ data: Data) -> ExaminedImage? {
        guard let info = inspectWhole(data) else { return nil }
        var hasher = SHA256Hasher()
        hasher.update(data: data)
        return ExaminedImage(info: info, bytes: data.count, sha256: hasher.finalize().hexString)
    }
}
