import Foundation

/// The restore stage: every job not cached locally is looked up in the remote store (`ac/<key>`),
/// its image fetched (`cas/<sha256>`), verified, and committed into the local store, so that the
/// plan counts it as cached. Round by round: a chained job's key is known once its upstream's image is.
///
/// Without `fetchingImages` (for `plan`) only the records are read, and the jobs they cover count as
/// cached through an overlay on the local store: nothing is written, nothing paid.
package struct RemoteRestore: Sendable {
    package let client: RemoteStoreClient
    package let fetchingImages: Bool

    package init(client: RemoteStoreClient, fetchingImages: Bool) {
        self.client = client
        self.fetchingImages = fetchingImages
    }

    /// What the stage found.
    package struct Outcome: Sendable {
        package var plan: EvaluatedPlan
        /// Content keys the remote store had (and, when fetching, that are now in the local store).
        package var found: Set<String>
    }

    /// `only`: the jobs (indices in `graph`) to look up, e.g. a shard's; all of them when nil.
    func restore(_ graph: JobGraph, into store: ContentStore, only: Set<Int>? = nil) async throws -> Outcome {
        let overlay = RemoteOverlayStore(local: store)
        let evaluationStore: any ImageStore = fetchingImages ? store : overlay
        var asked = Set<String>()
        var found = Set<String>()
        while true {
            let plan = try PlanEvaluator.evaluate(graph, store: evaluationStore)
            var keys: [String] = []
            for (job, state) in plan.states.enumerated() where only?.contains(job) ?? true {
                if case .toMake(let key) = state, asked.insert(key).inserted { keys.append(key) }
            }
            if keys.isEmpty { return Outcome(plan: plan, found: found) }
            let records = try await lookUp(keys, into: store)
            if records.isEmpty { return Outcome(plan: plan, found: found) }
            for record in records {
                found.insert(record.key)
                if !fetchingImages { overlay.add(record) }
            }
            // Only chained jobs can change now: without any, the plan would come out the same.
            if !fetchingImages, !graph.jobs.contains(where: { $0.upstream != nil }) {
                return Outcome(plan: try PlanEvaluator.evaluate(graph, store: evaluationStore), found: found)
            }
        }
    }

    /// The records (and, when fetching, the images) of `keys` the store has, `policy.concurrency` at a time.
    private func lookUp(_ keys: [String], into store: ContentStore) async throws -> [StoreRecord] {
        let (client, fetchingImages) = (client, fetchingImages)
        return try await BoundedConcurrency.compactMap(count: keys.count, width: client.policy.concurrency) { index in
            guard let data = try await client.get(.ac, keys[index]) else { return nil }
            let record = try StoreRecord.decode(data, key: keys[index], source: client.url(.ac, keys[index]))
            if fetchingImages {
                guard try await RemoteRestore.fetch(record, client: client, into: store) else { return nil }
            }
            return record
        }
    }

    /// Fetches a record's image, verifies it against the record, and commits it into the local store.
    /// `false` when the image is gone from the store (the job is a miss); corrupt bytes are an error.
    static func fetch(_ record: StoreRecord, client: RemoteStoreClient, into store: ContentStore) async throws -> Bool {
        guard let bytes = try await client.get(.cas, record.sha256) else { return false }
        let source = client.url(.cas, record.sha256)
        let hash = SHA256.hash(bytes).hexString
        guard hash == record.sha256 else {
            throw RemoteStoreError(
                .corrupt, "\(source) served \(bytes.count) bytes whose SHA-256 is \(hash): corrupt; nothing was stored or linked")
        }
        guard let examined = ImageInspector.examine(bytes), examined.info == record.info, examined.bytes == record.bytes else {
            throw RemoteStoreError(
                .corrupt,
                "\(source) is not the \(record.format) image of \(record.width)×\(record.height) its record says; nothing was stored or linked"
            )
        }
        _ = try await WorkerThreads.storing.run { try store.commit(image: bytes, key: record.key) }
        return true
    }
}
