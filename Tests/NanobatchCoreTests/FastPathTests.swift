import Foundation
import Testing

@testable import NanobatchCore

/// The report writers' byte buffer must write exactly what the slower String paths wrote.
@Suite(.timeLimit(.minutes(2))) struct TextBufferTests {
    @Test func fixedPointMatchesPrintfIncludingTiesAndEdges() {
        var random = SeededRandom(seed: 7)
        var values: [Double] = [
            0, -0.0, 0.5, 1.5, 2.5, 0.125, 0.375, 0.0675, 0.0005, 0.00005, 0.9995, 0.99995, 1e-9,
            123456.78905, 999.9995, 1e8, 1e12, 4.35, 2.675, 1.005, -1.25, .nan, .infinity, 0.134, 0.067,
        ]
        for _ in 0..<20_000 {
            // Costs and durations: a few decimals, plus arbitrary doubles.
            values.append(Double(Int.random(in: 0...2_000_000, using: &random)) / 10_000)
            values.append(Double.random(in: 0..<1_000, using: &random))
            values.append(Double(Int.random(in: 0...99_999, using: &random)) / 1_000 + 0.0005)
        }
        var mismatches: [String] = []
        for value in values {
            for decimals in [0, 2, 3, 4] {
                let expected = String(format: "%.\(decimals)f", value)
                let actual = FixedPoint.format(value, decimals: decimals)
                if actual != expected { mismatches.append("\(value) %.\(decimals)f: \(actual) ≠ \(expected)") }
            }
        }
        #expect(mismatches.count == 0, "\(mismatches.prefix(5))")
    }

    @Test func integersAndJSONNumbersMatchTheirStringForms() {
        var buffer = TextBuffer()
        let integers = [0, 7, 10, 99, 100, 1_234_567_890, Int.max, -1, Int.min]
        for value in integers {
            buffer.append(value)
            buffer.append(" ")
        }
        #expect(buffer.string == integers.map(String.init).joined(separator: " ") + " ")

        for value: Double in [0, 3, 0.05, 1.2345678, 1e15, 1e16, -2, .nan, 2.5e-7] {
            var json = TextBuffer()
            json.appendJSONNumber(value)
            #expect(json.string == StringWriters.jsonNumber(value), "\(value)")
            #expect(json.string == JSONValue.number(value).serialized(), "\(value)")
        }
    }

    @Test func jsonStringsAndHTMLTextAreEscapedAsBefore() throws {
        var random = SeededRandom(seed: 11)
        let alphabet: [String] = [
            "a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "&", "<", ">", "'",
            "é", "日", "🍌", "/", ",", "=", "\u{7F}",
        ]
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...24, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
            var json = TextBuffer()
            json.appendJSONString(text)
            #expect(json.string == StringWriters.jsonString(text), "\(text.debugDescription)")
            #expect(json.string == JSONValue.string(text).serialized(), "\(text.debugDescription)")
            #expect(try JSONParser.parse(json.data) == .string(text))
            var html = TextBuffer()
            html.appendHTMLEscaped(text)
            #expect(html.string == StringWriters.htmlEscaped(text), "\(text.debugDescription)")
            #expect(html.string == HTMLReport.escape(text), "\(text.debugDescription)")
        }
    }

    @Test func utcTimestampsMatchISO8601DateFormatter() {
        var random = SeededRandom(seed: 3)
        let formatter = ISO8601DateFormatter()
        for seconds in [0.0, 0.999, 951_782_400, 1_763_700_000.5, 4_102_444_799]
            + (0..<500).map({ _ in Double.random(in: 0..<4e9, using: &random) })
        {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(UTCTimestamp.iso8601(date) == formatter.string(from: date), "\(seconds)")
        }
    }
}

/// The String-based writers the byte buffer replaced, kept as the independent reference it is held to.
enum StringWriters {
    static func jsonNumber(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.isFinite ? "\(value)" : "null"
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
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
        return out + "\""
    }

    static func htmlEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// Hand-written matchers that replaced regular expressions on hot paths agree with those expressions.
@Suite(.timeLimit(.minutes(2))) struct PatternMatcherTests {
    func strings(_ alphabet: [String], count: Int, seed: UInt64) -> [String] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...9, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
        }
    }

    @Test func versionSegmentsMatchTheirPattern() {
        let samples =
            [
                "v1", "v1beta", "v1alpha", "v2alpha3", "v10beta12", "v", "vbeta", "v1gamma", "V1", "v1beta1x", "1", "",
                "v1alphabeta", "v01",
            ] + strings(["v", "1", "0", "alpha", "beta", "x", "a"], count: 3_000, seed: 5)
        for sample in samples {
            let expected = sample.range(of: #"^v[0-9]+((alpha|beta)[0-9]*)?$"#, options: .regularExpression) != nil
            #expect(Endpoint.isVersionSegment(Substring(sample)) == expected, "\(sample)")
        }
    }

    @Test func environmentVariableNamesMatchTheirPattern() {
        let samples =
            [
                "GEMINI_API_KEY", "_x", "a1", "1a", "", "AIzaSyD-abc", "key with space", "ÄPI", String(repeating: "A", count: 128),
                String(repeating: "A", count: 129),
            ] + strings(["A", "z", "_", "9", "-", " ", "é", "."], count: 3_000, seed: 9)
        for sample in samples {
            let expected = sample.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,127}$", options: .regularExpression) != nil
            #expect(ManifestLoader.isEnvironmentVariableName(sample) == expected, "\(sample)")
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct ParallelMapTests {
    @Test(arguments: [0, 1, 255, 256, 257, 5000])
    func resultsKeepTheirOrder(_ count: Int) {
        let mapped = ParallelMap.map(count: count, chunk: 256) { $0 * 3 + 1 }
        #expect(mapped == (0..<count).map { $0 * 3 + 1 })
    }
}
