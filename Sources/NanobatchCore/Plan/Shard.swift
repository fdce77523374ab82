/// One of `count` shares of a build (`--shard 2/4`): `index` is 1-based, as in Playwright and Jest.
package struct Shard: Sendable, Hashable, CustomStringConvertible {
    package let index: Int
    package let count: Int

    /// `nil` unless 1 ≤ index ≤ count.
    package init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// "2/4".
    package var description: String { "\(index)/\(count)" }
}
