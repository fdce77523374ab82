import Foundation
import LoopbackHTTP
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct AsyncGateTests {
    final class Peak: @unchecked Sendable {
        private let lock = NSLock()
        private var now = 0
        private(set) var peak = 0
        func enter() {
            lock.withLock {
                now += 1
                peak = max(peak, now)
            }
        }
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
        #expect(try await eventually { gate.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        gate.leave()
        #expect(gate.occupied == 0)
        #expect(try await gate.withSlot { 2 } == 2)
    }

    @Test func aRaisedLimitAdmitsWaitersAndALoweredOneDrainsFirst() async throws {
        let gate = AsyncGate(limit: 1)
        try await gate.enter()
        // One at a time, so that they queue in index order.
        var waiters: [Task<Int, any Error>] = []
        for index in 0..<3 {
            waiters.append(
                Task {
                    try await gate.enter()
                    return index
                })
            #expect(try await eventually { gate.waiting == index + 1 })
        }
        #expect(gate.occupied == 1)
        gate.setLimit(3)
        for waiter in waiters.prefix(2) { _ = try await waiter.value }
        #expect(gate.occupied == 3, "two of the three waiters were admitted at once")
        gate.setLimit(1)
        gate.leave()
        gate.leave()
        #expect(gate.occupied == 1, "the third waits while holders are above the new limit")
        #expect(gate.waiting == 1)
        gate.leave()
        _ = try await waiters[2].value
        #expect(gate.occupied == 1)
        gate.leave()
        #expect(gate.occupied == 0)
    }

    @Test func downloadLimitFollowsTheLargestRecentSize() {
        let limit = DownloadLimit.standard
        #expect(limit.limit(recentLargest: nil) == 16, "before any size is known: the floor")
        #expect(limit.limit(recentLargest: 4 << 20) == 16)
        #expect(limit.limit(recentLargest: 2 << 20) == 32)
        #expect(limit.limit(recentLargest: 100 << 20) == 16, "never below the floor")
        #expect(limit.limit(recentLargest: 5_000) == 256, "small files count as 64 KB, capped at the ceiling")
        #expect(DownloadLimit.fixed(3).limit(recentLargest: 10) == 3)
        let sizes = RecentSizes(capacity: 2)
        #expect(sizes.add(10) == 10)
        #expect(sizes.add(500) == 500)
        #expect(sizes.add(20) == 500)
        #expect(sizes.add(30) == 30, "the large one has left the window")
    }
}

@Suite(.timeLimit(.minutes(2))) struct DownloadGateTests {
    /// Answers every request with `image` after 30 ms, counting the requests open at once.
    func slowImageServer(_ image: Data, counting peak: AsyncGateTests.Peak) throws -> LoopbackServer {
        try LoopbackServer { _ in
            peak.enter()
            usleep(30_000)
            peak.leave()
            return ServerReply(status: 200, headers: ["Content-Type": "image/png"], body: image)
        }
    }

    /// Downloads `count` files at once through `transport`; the size of each file written, every answer a 200.
    func downloadAll(
        _ count: Int, from server: LoopbackServer, through transport: URLSessionTransport,
        into workspace: TestWorkspace
    ) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count {
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
    }

    /// Over real HTTP: the transport never has more downloads open than its limit, and every file is whole.
    @Test func theTransportKeepsDownloadsToItsLimit() async throws {
        let peak = AsyncGateTests.Peak()
        let image = smallPNG(seed: "gate")
        let server = try slowImageServer(image, counting: peak)
        defer { server.stop() }
        let workspace = try TestWorkspace()
        let transport = URLSessionTransport(downloadLimit: .fixed(2))
        let sizes = try await downloadAll(8, from: server, through: transport, into: workspace)
        #expect(sizes == Array(repeating: image.count, count: 8))
        #expect(peak.peak == 2)
    }

    /// Small downloads raise the limit: it starts at the floor (1) and grows to what the budget allows (4).
    @Test func smallDownloadsWidenTheLimitUpToTheBudget() async throws {
        let peak = AsyncGateTests.Peak()
        let image = smallPNG(seed: "widen")
        let server = try slowImageServer(image, counting: peak)
        defer { server.stop() }
        let workspace = try TestWorkspace()
        let transport = URLSessionTransport(
            downloadLimit: DownloadLimit(
                bytesInFlight: 4 * 32 * 1024, minimum: 1, maximum: 8,
                smallestCounted: 32 * 1024))
        #expect(image.count <= 32 * 1024)
        let sizes = try await downloadAll(24, from: server, through: transport, into: workspace)
        #expect(sizes == Array(repeating: image.count, count: 24))
        #expect(peak.peak > 1 && peak.peak <= 4, "peak \(peak.peak)")
    }
}
