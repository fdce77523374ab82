import Foundation

/// A parsed JSON document that keeps object key order, so messages can name keys as written.
package indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}

/// A JSON object with its keys in document order.
package struct JSONObject: Sendable, Equatable {
    private(set) var keys: [String] = []
    private var storage: [String: JSONValue] = [:]

    init() {}

    init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The non-nil `fields`, keys in UTF-8 byte order (as JSONEncoder's `.sortedKeys` orders them).
    init(sorted fields: [String: JSONValue?]) {
        for (key, value) in fields.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            if let value { self[key] = value }
        }
    }

    subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set {
            if storage[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            storage[key] = newValue
        }
    }

    var entries: [(key: String, value: JSONValue)] {
        keys.map { ($0, storage[$0]!) }
    }
}

struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    let line: Int
    let column: Int
    let message: String
    var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 parser: no trailing commas, duplicate keys rejected, depth capped; no comments
/// unless `allowsComments` (JSON with comments, for manifests; provider responses stay strict).
enum JSONParser {
    static func parse(_ data: Data, maxDepth: Int = 256, allowsComments: Bool = false) throws -> JSONValue {
        var cursor = JSONCursor(data, maxDepth: maxDepth, allowsComments: allowsComments)
        let value = try cursor.readValue()
        try cursor.expectEnd()
        return value
    }

    static func parse(_ text: String, maxDepth: Int = 256, allowsComments: Bool = false) throws -> JSONValue {
        try parse(Data(text.utf8), maxDepth: maxDepth, allowsComments: allowsComments)
    }
}
