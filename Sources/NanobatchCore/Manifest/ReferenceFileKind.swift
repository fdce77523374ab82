import Foundation

/// What a reference file is, from its first bytes: the images providers take (PNG, JPEG, WebP, GIF),
/// or a few words on what it looks like instead (never its contents: it may be a secret).
enum ReferenceFileKind {
    /// `nil` for an image (or a file that cannot be read: the plan reports that); otherwise what it looks like.
    static func nonImage(at url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 16) else { return "an empty file" }
        return describe([UInt8](head))
    }

    /// `nil` when `head` starts like an image nanobatch sends.
    static func describe(_ head: [UInt8]) -> String? {
        if head.isEmpty { return "an empty file" }
        if isImage(head) { return nil }
        func starts(_ text: String) -> Bool { head.starts(with: Array(text.utf8)) }
        if starts("%PDF") { return "a PDF document" }
        if starts("PK\u{3}\u{4}") { return "a ZIP archive" }
        if head.count >= 12, head[4..<8].elementsEqual("ftyp".utf8) { return "a HEIC, AVIF or MP4 file (convert it to PNG or JPEG)" }
        if starts("BM") { return "a BMP image (convert it to PNG or JPEG)" }
        if starts("II*\u{0}") || starts("MM\u{0}*") { return "a TIFF image (convert it to PNG or JPEG)" }
        if starts("<") || starts("\u{FEFF}<") { return "an HTML, XML or SVG document" }
        let text = head.allSatisfy { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || ($0 >= 0x20 && $0 != 0x7F) }
        if text, let first = head.first(where: { $0 > 0x20 }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            return "JSON text"
        }
        if text { return "a text file" }
        let hex = head.prefix(4).map { String(format: "%02X", $0) }.joined(separator: " ")
        return "unknown binary data (it starts with \(hex))"
    }

    /// PNG, JPEG, GIF or WebP magic bytes.
    static func isImage(_ head: [UInt8]) -> Bool {
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return true }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return true }
        if head.starts(with: Array("GIF87a".utf8)) || head.starts(with: Array("GIF89a".utf8)) { return true }
        return head.count >= 12 && head.starts(with: Array("RIFF".utf8)) && head[8..<12].elementsEqual("WEBP".utf8)
    }
}
