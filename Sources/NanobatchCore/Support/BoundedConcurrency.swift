import Foundation

/// Runs async work for `0..<count` with at most `width` in flight, for many small network requests
/// (a remote store's records) where one at a time is slow and all at once floods the server.
enum BoundedConcurrency {
    /// The non-nil results of `body` for every index, in no particular order; the first error stops the rest.
    static func compactMap<T: Sendable>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> T?
    ) async throws -> [T] {
        guard count > 0 else { return [] }
        let next = Locked(0)
        return try await withThrowingTaskGroup(of: [T].self) { group in
            for _ in 0..<min(max(1, width), count) {
                group.addTask {
                    var found: [T] = []
                    while true {
                        let index = next.withLock { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < count else { return found }
                        try Task.checkCancellation()
                        if let result = try await body(index) { found.append(result) }
                    }
                }
            }
            var all: [T] = []
            for try await found in group { all += found }
            return all
        }
    }
}
