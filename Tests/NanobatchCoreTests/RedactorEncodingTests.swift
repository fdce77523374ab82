import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// The key never survives redaction in any form an answer may echo it in.
@Suite(.timeLimit(.minutes(1))) struct RedactorEncodingTests {
    static let key = "sk-Test/Key+9_abcXYZ012"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// How the key (or a text holding it) is written in the answer.
        var encoded: String
        var testDescription: String { name }
    }

    static func percent(_ text: String, lowercase: Bool = false, twice: Bool = false) -> String {
        text.utf8.map { byte in
            let hex = String(format: lowercase ? "%02x" : "%02X", byte)
            return twice ? "%25" + hex : "%" + hex
        }.joined()
    }

    static func jsonEscaped(_ text: String, every step: Int = 1, backslashes: Int = 1) -> String {
        text.utf8.enumerated().map { index, byte in
            if byte == UInt8(ascii: "/") { return String(repeating: "\\", count: backslashes) + "/" }
            guard index % step == 0 else { return String(UnicodeScalar(byte)) }
            return String(repeating: "\\", count: backslashes) + String(format: "u%04x", byte)
        }.joined()
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static let cases: [Case] = [
        Case(name: "plain", encoded: key),
        Case(name: "percent-encoded where needed", encoded: key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!),
        Case(name: "percent-encoded, every byte, lower-case hex", encoded: percent(key, lowercase: true)),
        Case(name: "percent-encoded twice", encoded: percent(key, twice: true)),
        Case(name: "JSON \\u-escaped", encoded: jsonEscaped(key)),
        Case(name: "JSON, some bytes escaped, \\/", encoded: jsonEscaped(key, every: 3)),
        Case(name: "JSON escaped twice", encoded: jsonEscaped(key, backslashes: 2)),
        Case(name: "base64 of the key", encoded: base64(key)),
        Case(name: "base64 of Bearer key", encoded: base64("Bearer \(key)")),
        Case(name: "base64 at offset 2", encoded: base64("x:\(key):y")),
        Case(name: "base64 of a header line", encoded: base64("Authorization: Bearer \(key)\r\n")),
        Case(
            name: "base64url of Bearer key",
            encoded: base64("Bearer \(key)").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")),
        Case(name: "base64 in JSON", encoded: base64("Bearer \(key)").replacingOccurrences(of: "/", with: "\\/")),
        Case(name: "base64 percent-encoded", encoded: base64("k \(key)").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!),
    ]

    @Test(arguments: cases)
    func everyFormIsRemoved(_ example: Case) {
        let redactor = Redactor(secrets: [Self.key])
        let clean = redactor.redact("before \(example.encoded) after")
        #expect(!clean.contains(example.encoded), "\(clean)")
        #expect(clean.contains(Redactor.mask) && clean.hasPrefix("before ") && clean.hasSuffix(" after"), "\(clean)")
        let record = redactor.record(Data(#"{"echo":"\#(example.encoded)"}"#.utf8))
        #expect(!record.contains(example.encoded) && record.contains(Redactor.mask), "\(record)")
    }

    @Test func otherTextIsLeftAlone() {
        let text = #"no key here: %41%42 \u0041 \/ QmVhcmVy c2stVGVzdA"#
        #expect(Redactor(secrets: [Self.key]).redact(text) == text)
    }

    @Test func base64CoresDependOnTheKeyOnly() throws {
        let secret = Array(Self.key.utf8)
        let cores = Redactor.base64Cores(secret)
        #expect(cores.count == 6)
        for prefix in ["", "a", "ab", "abc", "Bearer ", "Authorization: Bearer "] {
            let encoded = Array(Data((prefix + Self.key + "!").utf8).base64EncodedString().utf8)
            #expect(cores.contains { core in encoded.indices.contains { Redactor.match(core, in: encoded, at: $0) != nil } }, "\(prefix)")
        }
    }

    /// A provider that echoes the request's key in every form in its error answer: neither the job's
    /// message nor its raw answer keeps any of them, over both transports.
    @Test(arguments: TransportKind.allCases)
    func anAnswerEchoingTheKeyKeepsNoneOfIt(_ kind: TransportKind) async throws {
        let server = try LoopbackServer { request in
            let sent = String((request.headers["authorization"] ?? "").dropFirst("Bearer ".count))
            let forms = sent == Self.key ? Self.cases.map(\.encoded) : ["no key"]
            let message = "invalid key " + Self.jsonEscaped(sent)
            let body = #"{"error":{"message":"\#(message)","code":"bad_key","echo":["\#(forms.joined(separator: #"",""#))"]}}"#
            return .json(body, status: 400)
        }
        defer { server.stop() }
        let client = ProviderClient(
            config: ProviderConfig(name: "api", dialect: "openai-images", apiKeyEnv: "K"), baseURL: server.baseURL,
            apiKey: Self.key, transport: kind.make(), poll: PollSchedule(initial: 0.01), sleep: { _ in }, random: { 0.5 })
        var billable = 0
        let failure = await #expect(throws: ProviderFailure.self) {
            _ = try await client.sendJSON(
                "POST", "/v1/images/generations", body: ["prompt": "x"], deadline: .now + .seconds(30), what: "create",
                billable: &billable)
        }
        let texts = [failure?.description ?? "", failure?.rawAnswer ?? ""]
        #expect(texts[0].contains("invalid key \(Redactor.mask)"), "\(texts[0])")
        #expect(texts[1].contains("bad_key"))
        for text in texts {
            for example in Self.cases { #expect(!text.contains(example.encoded), "\(example.name): \(text)") }
        }
    }

    /// A result URL holding the key percent-encoded, answered with a 404 that echoes it.
    @Test(arguments: TransportKind.allCases)
    func aFailedDownloadKeepsNoneOfIt(_ kind: TransportKind) async throws {
        let server = try LoopbackServer { request in .json(#"{"error":"no such file: \#(request.target)"}"#, status: 410) }
        defer { server.stop() }
        let client = ProviderClient(
            config: ProviderConfig(name: "api", dialect: "openai-images", apiKeyEnv: "K"), baseURL: server.baseURL,
            apiKey: Self.key, transport: kind.make(), poll: PollSchedule(initial: 0.01), sleep: { _ in }, random: { 0.5 })
        let workspace = try TestWorkspace()
        let path = "/files/\(Self.percent(Self.key)).png"
        let failure = await #expect(throws: ProviderFailure.self) {
            _ = try await client.fetchResult(
                server.baseURL + path, to: workspace.url.appendingPathComponent("out.png"), deadline: .now + .seconds(30))
        }
        for text in [failure?.description ?? "", failure?.rawAnswer ?? ""] {
            #expect(!text.contains(Self.percent(Self.key)) && !text.contains(Self.key), "\(text)")
        }
    }
}
