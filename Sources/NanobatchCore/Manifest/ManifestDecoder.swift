import Foundation

/// Reads typed values out of the manifest's JSON tree, each at its `JSONPath`, and records a
/// `ManifestIssue` for every value of the wrong type, out of range, or under a key not allowed
/// there. It knows JSON shapes, not nanobatch's rules (those are `ManifestValidator`'s).
struct ManifestDecoder {
    private(set) var issues: [ManifestIssue] = []

    mutating func problem(_ path: JSONPath, _ message: String) {
        issues.append(ManifestIssue(path: path.text, message: message))
    }

    /// Something that may be a mistake but still allows a run.
    mutating func warning(_ path: JSONPath, _ message: String) {
        issues.append(ManifestIssue(path: path.text, message: message, severity: .warning))
    }

    /// Names joined for a message: "a, b, c".
    static func list(_ values: [String]) -> String { values.joined(separator: ", ") }

    /// The object at `path`, with an issue for each key not in `allowed`; `nil` when absent or not an object.
    mutating func object(_ value: JSONValue?, at path: JSONPath, allowed: [String]) -> JSONObject? {
        guard let value else { return nil }
        guard case .object(let object) = value else {
            problem(path, "expected an object, found \(value.typeName)")
            return nil
        }
        for key in object.keys where !allowed.contains(key) {
            problem(
                path.key(key),
                "unknown key \"\(key)\"\(Suggestion.hint(for: key, among: allowed)); allowed keys: \(ManifestDecoder.list(allowed))")
        }
        return object
    }

    mutating func string(_ key: String, in object: JSONObject, at path: JSONPath, required: Bool = false) -> String? {
        let at = path.key(key)
        guard let value = object[key] else {
            if required { problem(at, "missing required key \"\(key)\"") }
            return nil
        }
        guard case .string(let string) = value else {
            problem(at, "expected a string, found \(value.typeName)")
            return nil
        }
        return string
    }

    mutating func integer(
        _ key: String, in object: JSONObject, at path: JSONPath, range: ClosedRange<Int>,
        required: Bool = false
    ) -> Int? {
        let at = path.key(key)
        guard let value = object[key] else {
            if required { problem(at, "missing required key \"\(key)\"") }
            return nil
        }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            problem(at, "expected a whole number, found \(value.typeName == "a number" ? "a fraction" : value.typeName)")
            return nil
        }
        guard range.contains(Int(number)) else {
            problem(at, "\(Int(number)) is out of range; allowed: \(range.lowerBound)…\(range.upperBound)")
            return nil
        }
        return Int(number)
    }

    /// A number above `minimum` (or equal, unless `exclusive`) and at most `maximum`: every number a
    /// manifest gives stays finite and small enough to become a `Duration` or a count without trapping.
    mutating func number(
        _ key: String, in object: JSONObject, at path: JSONPath, minimum: Double, exclusive: Bool,
        maximum: Double = ManifestDecoder.largestNumber
    ) -> Double? {
        let at = path.key(key)
        guard let value = object[key] else { return nil }
        guard case .number(let number) = value else {
            problem(at, "expected a number, found \(value.typeName)")
            return nil
        }
        if exclusive ? number <= minimum : number < minimum {
            problem(at, "\(number) must be \(exclusive ? "greater than" : "at least") \(minimum)")
            return nil
        }
        guard number <= maximum else {
            problem(at, "\(String(format: "%g", number)) is too large; at most \(String(format: "%g", maximum))")
            return nil
        }
        return number
    }

    /// The bound on any number without a tighter one of its own.
    static let largestNumber: Double = 1e9

    mutating func stringArray(_ value: JSONValue?, at path: JSONPath, nonEmpty: Bool) -> [String]? {
        guard let value else { return nil }
        guard case .array(let items) = value else {
            problem(path, "expected an array of strings, found \(value.typeName)")
            return nil
        }
        if nonEmpty && items.isEmpty { problem(path, "must not be empty") }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let string) = item else {
                problem(path.index(index), "expected a string, found \(item.typeName)")
                continue
            }
            strings.append(string)
        }
        return strings
    }
}
