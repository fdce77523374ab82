/// Where a job stands before a run.
package enum JobState: Sendable {
    /// A verified store entry already holds this job's image.
    case cached(key: String, entry: StoreEntry)
    case toMake(key: String)
    /// Waiting on an upstream job that is not made yet; its key is not known until then.
    case blocked(upstream: Int)
    /// The same request as an earlier job in this build: made once, shared.
    case duplicate(key: String, of: Int)

    /// The case without its values.
    enum Kind { case cached, toMake, blocked, duplicate }

    var kind: Kind {
        switch self {
        case .cached: .cached
        case .toMake: .toMake
        case .blocked: .blocked
        case .duplicate: .duplicate
        }
    }

    /// Cached when the store has a verified entry for `key`, else to make.
    static func lookUp(_ key: String, in store: any ImageStore) -> JobState {
        store.lookup(key).map { .cached(key: key, entry: $0) } ?? .toMake(key: key)
    }

    package var key: String? {
        switch self {
        case .cached(let key, _), .toMake(let key), .duplicate(let key, _): return key
        case .blocked: return nil
        }
    }
}
