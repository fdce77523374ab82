import Foundation

/// UTF-8 text built by appending bytes: the report writers' output, many times cheaper than
/// appending to a `String` piece by piece.
struct TextBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var string: String { String(decoding: bytes, as: UTF8.self) }
    var data: Data { Data(bytes) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Int) {
        if value < 0 {
            append(String(value))
        } else {
            appendDigits(UInt64(value), minimumCount: 1)
        }
    }

    /// `value` in decimal, left-padded with zeros to `minimumCount` digits (at most 20).
    private mutating func appendDigits(_ value: UInt64, minimumCount: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var rest = value
            var start = 20
            repeat {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            while 20 - start < minimumCount, start > 0 {
                start -= 1
                scratch[start] = UInt8(ascii: "0")
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[start...]))
        }
    }

    /// `value` with `decimals` digits after the point, exactly as printf's `%.Nf` writes it.
    mutating func appendFixed(_ value: Double, decimals: Int) {
        if let (whole, fraction) = FixedPoint.split(value, decimals: decimals) {
            appendDigits(whole, minimumCount: 1)
            if decimals > 0 {
                bytes.append(UInt8(ascii: "."))
                appendDigits(fraction, minimumCount: decimals)
            }
        } else {
            append(String(format: "%.\(decimals)f", value))
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest as is.
    /// The one JSON string writer (`JSONValue` and the report rows write through it).
    mutating func appendJSONString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case 0x22: append("\\\"")
                case 0x5C: append("\\\\")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                default:
                    append("\\u00")
                    bytes.append(TextBuffer.hexDigits[Int(byte >> 4)])
                    bytes.append(TextBuffer.hexDigits[Int(byte & 0x0F)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A JSON number: whole values without a fraction, others in Swift's shortest form, non-finite ones as null.
    mutating func appendJSONNumber(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            append(Int(value))
        } else if value.isFinite {
            append("\(value)")
        } else {
            append("null")
        }
    }

    /// Text for HTML content or a quoted attribute: & < > " ' replaced by entities. The one HTML
    /// escaper (`HTMLReport.escape` goes through it).
    mutating func appendHTMLEscaped(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() {
                let entity: StaticString
                switch byte {
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&#39;"
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                append(entity)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// Fixed-point decimals without `String(format:)`, which costs microseconds a call.
enum FixedPoint {
    /// `value` with `decimals` digits after the point, as printf's `%.Nf` writes it.
    static func format(_ value: Double, decimals: Int) -> String {
        var buffer = TextBuffer(capacity: 24)
        buffer.appendFixed(value, decimals: decimals)
        return buffer.string
    }

    private static let scales: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    /// The whole and fractional digits of `value` rounded to `decimals` places, or `nil` where only
    /// printf is sure to round exactly alike: negative or huge values, and values within a hair of a tie.
    static func split(_ value: Double, decimals: Int) -> (whole: UInt64, fraction: UInt64)? {
        guard decimals >= 0, decimals < scales.count, value.sign == .plus, value.isFinite else { return nil }
        let scale = scales[decimals]
        let scaled = value * scale
        // Below 1e9 the product's rounding error is far under the margin kept around a tie.
        guard scaled < 1e9 else { return nil }
        let floor = scaled.rounded(.down)
        let remainder = scaled - floor
        guard abs(remainder - 0.5) > 1e-6 else { return nil }
        let units = UInt64(floor) + (remainder > 0.5 ? 1 : 0)
        let divisor = UInt64(scale)
        return (units / divisor, units % divisor)
    }
}

/// UTC timestamps as ISO 8601 ("2026-11-21T10:15:27Z"), without `ISO8601DateFormatter`, whose first
/// use loads time-zone files.
enum UTCTimestamp {
    static func iso8601(_ date: Date) -> String {
        // Whole milliseconds first, as Foundation's formatter counts them, then the second they fall in.
        var seconds = time_t(((date.timeIntervalSince1970 * 1000).rounded() / 1000).rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return ISO8601DateFormatter().string(from: date) }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
