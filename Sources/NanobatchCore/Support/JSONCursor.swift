import Foundation

/// Reads a JSON document token by token, so a large one (a previous build's index) can be read
/// field by field without building its tree. Same strictness as `JSONParser`, which is built on it,
/// except that `nextKey()` leaves duplicate keys to the caller. With `allowsComments` (manifests only,
/// never provider responses) `//` line comments and `/* */` block comments count as whitespace.
///
///     try cursor.beginObject()
///     while let key = try cursor.nextKey() {
///         if key == "id" { id = try cursor.stringIfString() } else { try cursor.skipValue() }
///     }
struct JSONCursor {
    private let bytes: [UInt8]
    private var index = 0
    private let maxDepth: Int
    private let allowsComments: Bool
    /// Where the key last read by `nextKey()` starts (a byte offset).
    private(set) var keyOffset = 0
    /// One entry per open object or array: true until its first member has been read.
    private var open: [Bool] = []

    init(_ data: Data, maxDepth: Int = 256, allowsComments: Bool = false) {
        bytes = [UInt8](data)
        self.maxDepth = maxDepth
        self.allowsComments = allowsComments
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    /// What the next value is, without reading it.
    enum Kind { case object, array, string, number, bool, null }

    mutating func peek() throws -> Kind {
        try skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "/"): throw error("unexpected character '/' (comments are not allowed here)")
        default: throw error("unexpected character '\(printable(bytes[index]))'")
        }
    }

    /// Throws unless only whitespace is left.
    mutating func expectEnd() throws {
        try skipWhitespace()
        if index < bytes.count { throw error("unexpected content after the JSON value") }
    }

    mutating func beginObject() throws {
        try begin(.object, "{")
    }

    /// The next key of the innermost open object (its value comes next), or nil at its end.
    mutating func nextKey() throws -> String? {
        guard try nextMember(closing: "}", in: "an object") else { return nil }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
        keyOffset = index
        let key = try readStringToken()
        try skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\"") }
        index += 1
        return key
    }

    mutating func beginArray() throws {
        try begin(.array, "[")
    }

    /// True when the innermost open array has another element (read it next), false at its end.
    mutating func nextElement() throws -> Bool {
        try nextMember(closing: "]", in: "an array")
    }

    mutating func readValue() throws -> JSONValue {
        switch try peek() {
        case .object:
            try beginObject()
            var object = JSONObject()
            while let key = try nextKey() {
                if object[key] != nil { throw error("duplicate key \"\(key)\"") }
                object[key] = try readValue()
            }
            return .object(object)
        case .array:
            try beginArray()
            var items: [JSONValue] = []
            while try nextElement() { items.append(try readValue()) }
            return .array(items)
        case .string: return .string(try readStringToken())
        case .number: return .number(try readNumberToken())
        case .bool: return .bool(try readBoolToken())
        case .null:
            try expectLiteral("null")
            return .null
        }
    }

    /// Reads past the next value, checking it as strictly as `readValue()` but keeping nothing.
    mutating func skipValue() throws {
        switch try peek() {
        case .object:
            try beginObject()
            while try nextKey() != nil { try skipValue() }
        case .array:
            try beginArray()
            while try nextElement() { try skipValue() }
        case .string: _ = try readStringToken()
        case .number: _ = try readNumberToken()
        case .bool: _ = try readBoolToken()
        case .null: try expectLiteral("null")
        }
    }

    /// The next value if it is a string; any other value is skipped and gives nil.
    mutating func stringIfString() throws -> String? {
        if try peek() == .string { return try readStringToken() }
        try skipValue()
        return nil
    }

    /// The next value if it is a number; any other value is skipped and gives nil.
    mutating func numberIfNumber() throws -> Double? {
        if try peek() == .number { return try readNumberToken() }
        try skipValue()
        return nil
    }

    /// The strings of the next value if it is an array (other elements are skipped); nil if it is not an array.
    mutating func stringsIfArray() throws -> [String]? {
        guard try peek() == .array else {
            try skipValue()
            return nil
        }
        try beginArray()
        var strings: [String] = []
        while try nextElement() {
            if let string = try stringIfString() { strings.append(string) }
        }
        return strings
    }

    // MARK: - Tokens

    private mutating func begin(_ kind: Kind, _ opening: Unicode.Scalar) throws {
        guard try peek() == kind else { throw error("expected '\(opening)'") }
        guard open.count < maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        index += 1
        open.append(true)
    }

    /// Steps over the ',' before a member, or the closing bracket (then false).
    private mutating func nextMember(closing: Unicode.Scalar, in container: String) throws -> Bool {
        guard let first = open.last else { throw error("no open \(container)") }
        try skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of input in \(container)") }
        if bytes[index] == UInt8(ascii: closing) {
            index += 1
            open.removeLast()
            return false
        }
        if first {
            open[open.count - 1] = false
        } else {
            guard bytes[index] == UInt8(ascii: ",") else { throw error("expected ',' or '\(closing)' in \(container)") }
            index += 1
            try skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: closing) { throw error("a trailing ',' in \(container)") }
        }
        return true
    }

    private func error(_ message: String) -> JSONSyntaxError {
        var line = 1
        var column = 1
        for byte in bytes[0..<min(index, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONSyntaxError(line: line, column: column, message: message)
    }

    /// The byte offset of the next token (after `peek()`), for callers that map offsets to lines.
    var offset: Int { index }

    /// Steps over whitespace, and over comments when they are allowed.
    mutating func skipWhitespace() throws {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            case UInt8(ascii: "/") where allowsComments: try skipComment()
            default: return
            }
        }
    }

    /// `// …` to the end of the line, or `/* … */`; an unterminated block comment is reported where it opens.
    private mutating func skipComment() throws {
        let start = index
        guard index + 1 < bytes.count else { throw error("unexpected character '/' (a comment starts with // or /*)") }
        switch bytes[index + 1] {
        case UInt8(ascii: "/"):
            index += 2
            while index < bytes.count, bytes[index] != 0x0A { index += 1 }
        case UInt8(ascii: "*"):
            index += 2
            while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
            guard index + 1 < bytes.count else {
                index = start
                throw error("unterminated block comment: this /* is never closed by */")
            }
            index += 2
        default:
            throw error("unexpected character '/' (a comment starts with // or /*)")
        }
    }

    private func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", byte)
    }

    private mutating func readBoolToken() throws -> Bool {
        let value = bytes[index] == UInt8(ascii: "t")
        try expectLiteral(value ? "true" : "false")
        return value
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        let matches =
            index + count <= bytes.count
            && literal.withUTF8Buffer { expected in
                expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
            }
        guard matches else { throw error("invalid literal, expected \(literal)") }
        index += count
    }

    private mutating func readNumberToken() throws -> Double {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits() -> Int {
            let from = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - from
        }
        guard index < bytes.count else { throw error("incomplete number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw error("invalid number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits() == 0 { throw error("expected digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { throw error("expected digits in exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("number out of range") }
        return value
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func readStringToken() throws -> String {
        index += 1
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 {
            index += 1
        }
        // Fast path: no escapes, so the bytes are the string.
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            guard let string = String(validating: bytes[start..<index], as: UTF8.self) else { throw error("string is not valid UTF-8") }
            return string
        }
        var out = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                break
            }
            if byte < 0x20 { throw error("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("unpaired surrogate in \\u escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw error("invalid escape '\\\(printable(escape))'")
            }
        }
        guard let string = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return string
    }
}
