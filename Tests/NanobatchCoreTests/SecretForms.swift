import Foundation
import Testing

/// The forms an API key can leak in, for tests that search outputs for it: the key itself, the key
/// after JSON (`\u0041`, `\/`) and percent escapes are decoded, and its base64 at each of the three
/// byte alignments (the part of the encoding that depends on the key alone), standard and URL-safe.
struct SecretForms {
    let secret: String
    let base64Cores: [String]

    init(_ secret: String) {
        self.secret = secret
        let bytes = Array(secret.utf8)
        var cores: [String] = []
        for offset in 0..<3 {
            let padded = Data(repeating: 0, count: offset) + Data(bytes) + Data(repeating: 0, count: 3)
            let encoded = Array(padded.base64EncodedString())
            var core = ""
            var group = 0
            // Group g encodes bytes 3g..<3g+3 of `padded`: keep those made of key bytes only.
            while 4 * group + 4 <= encoded.count {
                if 3 * group >= offset && 3 * group + 3 <= offset + bytes.count { core += String(encoded[(4 * group)..<(4 * group + 4)]) }
                group += 1
            }
            if core.count >= 8 {
                cores.append(core)
                cores.append(core.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
            }
        }
        base64Cores = cores
    }

    /// The name of the first form of the key found in `text`, or nil.
    func found(in text: String) -> String? {
        if text.contains(secret) { return "raw" }
        if SecretForms.unescaped(text).contains(secret) { return "escaped" }
        if let core = base64Cores.first(where: { text.contains($0) }) { return "base64 \(core)" }
        return nil
    }

    /// `text` with JSON escapes (`\uXXXX`, `\/`, `\"`) and percent escapes decoded, both repeatedly.
    static func unescaped(_ text: String) -> String {
        var current = text
        for _ in 0..<3 {
            var result = ""
            var scalars = Array(current.unicodeScalars)[...]
            while let scalar = scalars.popFirst() {
                if scalar == "\\", let next = scalars.first {
                    if next == "u", scalars.count >= 5,
                        let value = UInt32(String(String.UnicodeScalarView(scalars.dropFirst().prefix(4))), radix: 16),
                        let decoded = Unicode.Scalar(value)
                    {
                        result.unicodeScalars.append(decoded)
                        scalars = scalars.dropFirst(5)
                        continue
                    }
                    if next == "/" || next == "\"" || next == "\\" {
                        result.unicodeScalars.append(next)
                        scalars = scalars.dropFirst()
                        continue
                    }
                }
                result.unicodeScalars.append(scalar)
            }
            result = result.removingPercentEncoding ?? result
            if result == current { break }
            current = result
        }
        return current
    }
}

/// The search itself must find every form, or the leak tests that use it prove nothing.
@Suite(.timeLimit(.minutes(1))) struct SecretFormsTests {
    static let key = "sk-live-Abc123+/xyz_SECRET"

    @Test(arguments: [
        key, "Bearer%20sk-live-Abc123%2B%2Fxyz_SECRET", #"{"m":"sk\u002dlive-Abc123+\/xyz_SECRET"}"#,
        Data(("Authorization: Bearer " + key).utf8).base64EncodedString(), Data(("k=" + key).utf8).base64EncodedString(),
        Data((key + "!").utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
    ])
    func everyFormIsFound(_ text: String) {
        #expect(SecretForms(Self.key).found(in: text) != nil, "\(text)")
    }

    @Test func otherTextIsNotFlagged() {
        let forms = SecretForms(Self.key)
        #expect(forms.found(in: "sk-live-[redacted] Bearer [redacted] \(Data("another key entirely".utf8).base64EncodedString())") == nil)
    }
}
