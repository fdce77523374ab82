import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct LockedTests {
    struct Refused: Error {}

    @Test func everyUpdateFromManyThreadsCounts() {
        let count = Locked(0)
        let seen = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 20_000) { index in
            count.withLock { $0 += 1 }
            if index % 1000 == 0 { seen.withLock { $0.append(index) } }
        }
        #expect(count.withLock { $0 } == 20_000)
        #expect(seen.withLock { $0.sorted() } == Array(stride(from: 0, to: 20_000, by: 1000)))
    }

    @Test func withLockReturnsWhatTheBodyReturnsAndRethrows() {
        let value = Locked("a")
        #expect(
            value.withLock {
                $0 += "b"
                return $0.count
            } == 2)
        #expect(throws: Refused.self) { try value.withLock { _ in throw Refused() } }
        #expect(value.withLock { $0 } == "ab", "a throwing body leaves the value as it was")
    }
}
