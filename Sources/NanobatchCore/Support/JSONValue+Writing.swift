import Foundation

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONValue {
    /// Compact JSON text, keys in their stored order.
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    public func data() -> Data { Data(serialized().utf8) }

    /// Indented JSON text (two spaces), keys in their stored order: for files people read and diff.
    public func serialized(pretty: Bool) -> String {
        guard pretty else { return serialized() }
        var out = ""
        writePretty(to: &out, indent: "")
        return out
    }

    func writePretty(to out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                item.writePretty(to: &out, indent: inner)
                out += index < items.count - 1 ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let object) where !object.keys.isEmpty:
            out += "{\n"
            let entries = object.entries
            for (index, entry) in entries.enumerated() {
                out += inner
                JSONValue.writeString(entry.key, to: &out)
                out += ": "
                entry.value.writePretty(to: &out, indent: inner)
                out += index < entries.count - 1 ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            write(to: &out)
        }
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value):
            if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
                out += String(Int64(value))
            } else if value.isFinite {
                out += "\(value)"
            } else {
                out += "null"
            }
        case .string(let value): JSONValue.writeString(value, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, entry) in object.entries.enumerated() {
                if index > 0 { out += "," }
                JSONValue.writeString(entry.key, to: &out)
                out += ":"
                entry.value.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ value: String, to out: inout String) {
        out += "\""
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += value
            out += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Follows a path of object keys and array indexes: `answer.at("data", 0, "url")`.
    public func at(_ path: any JSONPathComponent...) -> JSONValue? {
        var current: JSONValue? = self
        for component in path {
            current = current.flatMap { component.step(into: $0) }
        }
        return current
    }

    /// Every string in the document, depth first, in document order.
    public var allStrings: [String] {
        switch self {
        case .string(let value): return [value]
        case .array(let items): return items.flatMap(\.allStrings)
        case .object(let object): return object.entries.flatMap(\.value.allStrings)
        default: return []
        }
    }

    /// A string, or a number written as text (ids are sometimes numbers).
    public var textValue: String? {
        switch self {
        case .string(let value): return value
        case .number(let value) where value == value.rounded() && abs(value) < 1e15: return String(Int64(value))
        case .number(let value): return "\(value)"
        default: return nil
        }
    }
}

public protocol JSONPathComponent: Sendable {
    func step(into value: JSONValue) -> JSONValue?
}

extension String: JSONPathComponent {
    public func step(into value: JSONValue) -> JSONValue? { value[self] }
}

extension Int: JSONPathComponent {
    public func step(into value: JSONValue) -> JSONValue? {
        guard let items = value.arrayValue, indices(items).contains(self) else { return nil }
        return items[self]
    }

    private func indices(_ items: [JSONValue]) -> Range<Int> { items.startIndex..<items.endIndex }
}
