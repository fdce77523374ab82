import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

/// The deadline and the size cap hold in both transports, whatever the server does with its bytes.
@Suite(.timeLimit(.minutes(1))) struct TransportLimitsTests {
    enum Sink: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case memory, file
        var testDescription: String { rawValue }
    }

    /// A byte every 100 ms: no idle timeout ever fires, only a deadline on the whole exchange ends it.
    @Test(arguments: TransportKind.allCases, Sink.allCases)
    func aTricklingAnswerEndsAtTheDeadline(_ kind: TransportKind, _ sink: Sink) async throws {
        let server = try LoopbackServer { _ in
            ServerReply(status: 200, body: Data(repeating: 0x61, count: 40), fault: .trickle(milliseconds: 100))
        }
        defer { server.stop() }
        let workspace = try TestWorkspace()
        let file = workspace.url.appendingPathComponent("image.png")
        let request = HTTPRequest(method: "GET", url: URL(string: server.baseURL + "/slow")!)
        await #expect(throws: TransportError.timedOut) {
            try await kind.make().send(
                request, into: sink == .memory ? .memory(limit: 1 << 20) : .file(file, limit: 1 << 20),
                timeout: .milliseconds(600))
        }
    }

    /// A download queued for URLSession's download slot ends at its own deadline, not when the slot frees.
    @Test func aDownloadWaitingForASlotEndsAtItsDeadline() async throws {
        let server = try LoopbackServer { _ in
            // 30 s of trickle: still running when the second download gives up, however loaded the machine.
            ServerReply(status: 200, body: Data(repeating: 0x61, count: 300), fault: .trickle(milliseconds: 100))
        }
        defer { server.stop() }
        let transport = URLSessionTransport(downloadLimit: .fixed(1))
        let workspace = try TestWorkspace()
        let request = HTTPRequest(method: "GET", url: URL(string: server.baseURL + "/slow")!)
        let first = Task {
            try await transport.send(request, into: .file(workspace.url.appendingPathComponent("a"), limit: 1 << 20), timeout: .seconds(30))
        }
        defer { first.cancel() }
        while server.requestsServed == 0 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: TransportError.notSent("no download slot came free before the deadline")) {
            try await transport.send(
                request, into: .file(workspace.url.appendingPathComponent("b"), limit: 1 << 20), timeout: .milliseconds(300))
        }
        #expect(server.lastReplyAt == 0, "the first download was still running")
    }

    /// A job's deadline ends a trickling create over either transport, through the provider client.
    @Test(arguments: TransportKind.allCases)
    func aTricklingCreateFailsAtTheJobsDeadline(_ kind: TransportKind) async throws {
        let server = try ScriptedServer([
            ServerReply(status: 200, body: Data(repeating: 0x20, count: 40), fault: .trickle(milliseconds: 100))
        ])
        let client = ProviderClient(
            config: ProviderConfig(name: "api", dialect: "openai-images", apiKeyEnv: "K"), baseURL: server.server.baseURL,
            apiKey: "sk-test-key", transport: kind.make(), poll: PollSchedule(initial: 0.01), sleep: { _ in }, random: { 0.5 })
        var billable = 0
        await #expect {
            _ = try await client.sendJSON(
                "POST", "/v1/images/generations", body: ["prompt": "x"], deadline: .now + .milliseconds(600), what: "create",
                billable: &billable)
        } throws: { error in
            guard let failure = error as? ProviderFailure else { return false }
            return failure.message.contains("timed out") && failure.outcomeUnknown
        }
        #expect(server.count == 1)
    }

    /// 256 MB of zeros in about 1.6 MB of gzip. Both transports ask for identity and refuse an encoded
    /// answer at its head, before any body byte is decoded (so no decoder runs ahead of the cap). Memory
    /// is not measured here: the peak RSS is the whole test process's, shared with suites running alongside.
    @Test(arguments: TransportKind.allCases)
    func aGzipBombIsRefusedBeforeItIsDecoded(_ kind: TransportKind) async throws {
        let bomb = GzipBomb.zeros(256 << 20)
        #expect(bomb.count < 2 << 20)
        let askedFor = Locked<[String]>([])
        let server = try LoopbackServer { request in
            askedFor.withLock { $0.append(request.headers["accept-encoding"] ?? "none") }
            return ServerReply(status: 200, headers: ["Content-Encoding": "gzip", "Content-Type": "application/json"], body: bomb)
        }
        defer { server.stop() }
        await #expect(throws: TransportError.encoded("gzip")) {
            try await kind.make().send(
                HTTPRequest(method: "GET", url: URL(string: server.baseURL + "/answer")!), into: .memory(limit: 1 << 20),
                timeout: .seconds(30))
        }
        #expect(askedFor.withLock { $0 } == ["identity"])
    }
}

/// Gzip whose deflate stream is one fixed-Huffman block: a literal zero, then distance-1 copies of 258
/// bytes (13 bits each). The trailer's CRC is left 0: a reader that decodes to the end finds it wrong.
enum GzipBomb {
    static func zeros(_ count: Int) -> Data {
        var bits = BitWriter()
        bits.write(1, count: 1)  // BFINAL
        bits.write(1, count: 2)  // fixed Huffman
        bits.writeCode(0x30, length: 8)  // literal 0
        for _ in 0..<(count - 1) / 258 {
            bits.writeCode(0xC5, length: 8)  // length 258 (symbol 285)
            bits.write(0, count: 5)  // distance 1
        }
        bits.writeCode(0, length: 7)  // end of block
        let decoded = 1 + (count - 1) / 258 * 258
        var gzip: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        gzip += bits.finish()
        gzip += [0, 0, 0, 0]
        gzip += (0..<4).map { UInt8(truncatingIfNeeded: decoded >> (8 * $0)) }
        return Data(gzip)
    }

    struct BitWriter {
        private var output: [UInt8] = []
        private var buffer: UInt64 = 0
        private var used = 0

        mutating func write(_ value: UInt64, count: Int) {
            buffer |= value << UInt64(used)
            used += count
            while used >= 8 {
                output.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                used -= 8
            }
        }

        /// Huffman codes go most significant bit first.
        mutating func writeCode(_ code: Int, length: Int) {
            var reversed: UInt64 = 0
            for i in 0..<length where code & (1 << i) != 0 { reversed |= 1 << UInt64(length - 1 - i) }
            write(reversed, count: length)
        }

        mutating func finish() -> [UInt8] {
            if used > 0 { write(0, count: 8 - used) }
            return output
        }
    }
}
