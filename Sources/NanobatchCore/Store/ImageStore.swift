import Foundation

/// Where finished images live, by content key: the interface the plan, the run and the reports use.
/// `ContentStore`, a content-addressed folder under the output root, is its local implementation.
package protocol ImageStore: AnyObject, Sendable {
    /// The verified entry for `key`, or `nil` (absent, incomplete, or corrupt: such an entry is made again).
    func lookup(_ key: String) -> StoreEntry?
    /// Whether any image file exists for `key`, whole or not (to tell "gone" from "failed its check").
    func hasBlob(for key: String) -> Bool
    /// A fresh temporary path for a provider to write an image into.
    func temporaryFile(for key: String) throws -> URL
    /// Verifies an image a provider wrote to `temporary`, makes it durable and records it under `key`.
    func commit(temporary: URL, key: String) throws -> StoreEntry
    /// Verifies image bytes a provider answered with, makes them durable and records them under `key`.
    func commit(image: Data, key: String) throws -> StoreEntry
    /// Whether `friendlyPath` already is the entry's image (the same file, not a copy).
    func isLinked(_ entry: StoreEntry, at friendlyPath: String) -> Bool
    /// Points a friendly path at a stored image, atomically; returns where an edit found there was kept.
    @discardableResult
    func link(_ entry: StoreEntry, to friendlyPath: String) throws -> String?
}
