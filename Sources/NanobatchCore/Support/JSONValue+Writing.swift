import Foundation

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int) { self = .number(Double(value)) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    package init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONValue {
    /// Compact JSON text, keys in their stored order.
    func serialized() -> String {
        var out = TextBuffer()
        write(to: &out)
        return out.string
    }

    func data() -> Data {
        var out = TextBuffer()
        write(to: &out)
        return out.data
    }

    /// Indented, with `indent` before each line after the first; strings and numbers as `TextBuffer` writes them.
    func writePretty(to out: inout TextBuffer, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            out.append("[\n")
            for (index, item) in items.enumerated() {
                out.append(inner)
                item.writePretty(to: &out, indent: inner)
                out.append(index < items.count - 1 ? ",\n" : "\n")
            }
            out.append(indent)
            out.append("]")
        case .object(let object) where !object.keys.isEmpty:
            out.append("{\n")
            let entries = object.entries
            for (index, entry) in entries.enumerated() {
                out.append(inner)
                out.appendJSONString(entry.key)
                out.append(": ")
                entry.value.writePretty(to: &out, indent: inner)
                out.append(index < entries.count - 1 ? ",\n" : "\n")
            }
            out.append(indent)
            out.append("}")
        default:
            write(to: &out)
        }
    }

    private func write(to out: inout TextBuffer) {
        switch self {
        case .null: out.append("null")
        case .bool(let value): out.append(value ? "true" : "false")
        case .number(let value): out.appendJSONNumber(value)
        case .string(let value): out.appendJSONString(value)
        case .array(let items):
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                item.write(to: &out)
            }
            out.append("]")
        case .object(let object):
            out.append("{")
            for (index, entry) in object.entries.enumerated() {
                if index > 0 { out.append(",") }
                out.appendJSONString(entry.key)
                out.append(":")
                entry.value.write(to: &out)
            }
            out.append("}")
        }
    }

    /// Follows a path of object keys and array indexes: `answer.at("data", 0, "url")`.
    func at(_ path: any JSONPathComponent...) -> JSONValue? {
        var current: JSONValue? = self
        for component in path {
            current = current.flatMap { component.step(into: $0) }
        }
        return current
    }

    /// Every string in the document, depth first, in document order.
    var allStrings: [String] {
        switch self {
        case .string(let value): return [value]
        case .array(let items): return items.flatMap(\.allStrings)
        case .object(let object): return object.entries.flatMap(\.value.allStrings)
        default: return []
        }
    }

    /// A string, or a number written as text (ids are sometimes numbers).
    var textValue: String? {
        switch self {
        case .string(let value): return value
        case .number(let value) where value == value.rounded() && abs(value) < 1e15: return String(Int64(value))
        case .number(let value): return "\(value)"
        default: return nil
        }
    }
}

protocol JSONPathComponent: Sendable {
    func step(into value: JSONValue) -> JSONValue?
}

extension String: JSONPathComponent {
    func step(into value: JSONValue) -> JSONValue? { value[self] }
}

extension Int: JSONPathComponent {
    func step(into value: JSONValue) -> JSONValue? {
        guard let items = value.arrayValue, indices(items).contains(self) else { return nil }
        return items[self]
    }

    private func indices(_ items: [JSONValue]) -> Range<Int> { items.startIndex..<items.endIndex }
}
