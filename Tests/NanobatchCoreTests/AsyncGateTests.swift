import Foundation
import LoopbackHTTP
import Testing
@testable import NanobatchCore

@Suite struct AsyncGateTests {
    final class Peak: @unchecked Sendable {
        private let lock = NSLock()
        private var now = 0
        private(set) var peak = 0
        func enter() { lock.withLock { now += 1; peak = max(peak, now) } }
        func leave() { lock.withLock { now -= 1 } }
    }

    @Test func neverMoreHoldersThanTheLimitAndEveryoneGetsATurn() async throws {
        let gate = AsyncGate(limit: 3)
        let peak = Peak()
        let finished = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await gate.withSlot {
                        peak.enter()
                        try await Task.sleep(for: .milliseconds(2))
                        peak.leave()
                        return index
                    }
                }
            }
            var seen: [Int] = []
            for try await index in group { seen.append(index) }
            return seen
        }
        #expect(finished.sorted() == Array(0..<40))
        #expect(peak.peak == 3)
        #expect(gate.occupied == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueueAndTheSlotIsNotLost() async throws {
        let gate = AsyncGate(limit: 1)
        try await gate.enter()
        let waiter = Task { try await gate.withSlot { 1 } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        gate.leave()
        #expect(gate.occupied == 0)
        #expect(try await gate.withSlot { 2 } == 2)
    }
}

@Suite struct DownloadGateTests {
    /// Over real HTTP: the transport never has more downloads open than its limit, and every file is whole.
    @Test func theTransportKeepsDownloadsToItsLimit() async throws {
        let peak = AsyncGateTests.Peak()
        let image = smallPNG(seed: "gate")
        let server = try LoopbackServer { _ in
            peak.enter()
            usleep(30_000)
            peak.leave()
            return ServerReply(status: 200, headers: ["Content-Type": "image/png"], body: image)
        }
        defer { server.stop() }
        let workspace = try TestWorkspace()
        let transport = URLSessionTransport(maxConcurrentDownloads: 2)
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                let destination = workspace.url.appendingPathComponent("d\(index).png")
                group.addTask {
                    let request = HTTPRequest(method: "GET", url: URL(string: "\(server.baseURL)/files/\(index).png")!)
                    let response = try await transport.send(request, into: .file(destination, limit: 1 << 20), timeout: .seconds(10))
                    #expect(response.status == 200)
                    return try Data(contentsOf: destination).count
                }
            }
            var sizes: [Int] = []
            for try await size in group { sizes.append(size) }
            return sizes
        }
        #expect(sizes == Array(repeating: image.count, count: 8))
        #expect(peak.peak == 2)
    }
}
