import Foundation

/// Drives groups of waiting jobs through the Batch API: submit (write the JSONL input, journal the
/// intent, upload, create, journal the batch's name), adopt (find a batch an earlier run created
/// before it was killed), follow (poll until it is finished), and collect (stream its results file
/// to disk and hand each job its image or its failure).
///
/// Money: a create is sent only after every key's intent is durable, and never again when its
/// answer is lost: the batch is looked for by its display name instead. A batch that expired is
/// created again for its jobs that have no image; a failed or cancelled one fails its jobs.
struct GeminiBatchRound: Sendable {
    let api: GeminiBatchClient
    let settings: GeminiBatchSettings
    let context: GeminiBatchRunContext
    let queue: GeminiBatchQueue

    // MARK: Submit

    /// Creates one batch for `waiters` (one model); jobs whose input does not fit go back to the queue.
    func submit(model: String, _ waiters: [GeminiBatchWaiter]) async {
        guard let folder = waiters.first?.request.destination.deletingLastPathComponent() else { return }
        let input = folder.appendingPathComponent("batch-input-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: input) }
        let included: [GeminiBatchWaiter]
        do {
            included = try await writeInput(waiters, to: input)
        } catch {
            for waiter in waiters { waiter.fail(ProviderFailure("cannot write the batch input \(input.path): \(error)", attempts: 0)) }
            return
        }
        guard !included.isEmpty else { return }
        // The keys' hash names the batch; the random part keeps an earlier batch of the same keys (one
        // whose lines all failed, say) from being taken for this one. The journal keeps the whole name.
        let name = GeminiBatchTranslator.displayName(keys: included.map(\.key)) + "-" + UUID().uuidString.prefix(8).lowercased()
        do {
            try await context.journal?.batchIntent(name, entries: included.map(\.entry))
        } catch {
            for waiter in included { waiter.fail(error) }
            return
        }
        // A stop requested meanwhile: nothing was sent, nothing is paid.
        if let stopped = context.stop.stopReason {
            for waiter in included { waiter.fail(ProviderStopped(provider: waiter.request.job.provider, reason: stopped, attempts: 0)) }
            return
        }
        let batch: GeminiBatch
        do {
            let file = try await api.uploadJSONL(input, displayName: name)
            batch = try await api.create(model: model, fileName: file, displayName: name)
        } catch let failure as ProviderFailure where failure.outcomeUnknown {
            guard let found = await findAfterLostAnswer(name) else {
                var unknown = failure
                unknown.message += "; the batch \(name) may exist: the next run looks for it by that name instead of creating another"
                for waiter in included { waiter.fail(unknown) }
                return
            }
            batch = found
        } catch {
            for waiter in included { waiter.fail(error) }
            return
        }
        await context.journal?.batchCreated(batch.name, entries: included.map(\.entry))
        context.board.update(batch)
        await follow(batch.name, included)
    }

    /// Writes one request line per job while the input stays within `maxBytes`; the jobs it cannot
    /// take go back to the queue, jobs whose references cannot be read fail. Returns the jobs written.
    private func writeInput(_ waiters: [GeminiBatchWaiter], to input: URL) async throws -> [GeminiBatchWaiter] {
        guard FileManager.default.createFile(atPath: input.path, contents: nil) else {
            throw FileIO.Failure(operation: "create", path: input.path, code: errno)
        }
        let handle = try FileHandle(forWritingTo: input)
        defer { try? handle.close() }
        var included: [GeminiBatchWaiter] = []
        var leftover: [GeminiBatchWaiter] = []
        var written = 0
        for waiter in waiters {
            let request = waiter.request
            let line: Data
            do {
                var references: [ReferenceImage] = []
                for reference in request.references {
                    references.append(try await api.client.referenceBytes(reference, deadline: .now + api.callTime))
                }
                line = GeminiBatchTranslator.requestLine(key: request.key, job: request.job, references: references)
            } catch {
                waiter.fail(error)
                continue
            }
            guard included.isEmpty || written + line.count <= settings.maxBytes else {
                leftover.append(waiter)
                continue
            }
            try handle.write(contentsOf: line)
            written += line.count
            included.append(waiter)
        }
        try handle.synchronize()
        if !leftover.isEmpty { await queue.requeue(leftover) }
        return included
    }

    /// After a create whose answer was lost: the batch of that display name, if the provider lists one.
    private func findAfterLostAnswer(_ displayName: String) async -> GeminiBatch? {
        for _ in 0..<settings.adoptionAttempts {
            try? await Task.sleep(for: settings.adoptionWait)
            if let found = try? await api.adoptable(displayName: displayName), found.count == 1 { return found[0] }
        }
        return nil
    }

    // MARK: Adopt

    /// Jobs an earlier run was about to batch as `displayName`: adopt that batch if the provider lists
    /// it (asked `adoptionAttempts` times, `adoptionWait` apart, as a create may take a moment to be
    /// listed); if it never does, the create never happened and the jobs join new batches.
    func adopt(_ displayName: String, _ waiters: [GeminiBatchWaiter]) async {
        var found: [GeminiBatch] = []
        do {
            for attempt in 0..<max(1, settings.adoptionAttempts) where found.isEmpty {
                if attempt > 0 { try? await Task.sleep(for: settings.adoptionWait) }
                found = try await api.adoptable(displayName: displayName)
            }
        } catch {
            // Without the list, creating again could pay twice: fail closed, the journal keeps the intent.
            var failure = (error as? ProviderFailure) ?? ProviderFailure("\(error)")
            failure.message = "cannot list batches to find \(displayName), which an earlier run may have created: \(failure.message)"
            failure.outcomeUnknown = true
            for waiter in waiters { waiter.fail(failure) }
            return
        }
        guard found.count <= 1 else {
            let failure = ProviderFailure(
                "\(found.count) batches are listed as \(displayName); not adopting one on a guess", attempts: 0)
            var unknown = failure
            unknown.outcomeUnknown = true
            for waiter in waiters { waiter.fail(unknown) }
            return
        }
        guard let batch = found.first else {
            for waiter in waiters { waiter.makeFresh(note: "batch \(displayName) was never created: submitted in a new batch") }
            await queue.requeue(waiters)
            return
        }
        await context.journal?.batchCreated(batch.name, entries: waiters.map(\.entry))
        for waiter in waiters { waiter.makeFresh(note: "adopted \(batch.name), which an earlier run created") }
        await follow(batch.name, waiters)
    }

    // MARK: Follow

    /// Polls `batch` until it is finished (or, without waiting, hands its jobs back as pending),
    /// then collects its results.
    func follow(_ batch: String, _ waiters: [GeminiBatchWaiter]) async {
        var polls = 0
        var failedInARow = 0
        while true {
            let now: GeminiBatch
            do {
                now = try await api.get(batch)
            } catch var failure as ProviderFailure {
                failedInARow += 1
                if failedInARow <= settings.failedPollsTolerated, !failure.stopsProvider, context.waits, context.stop.stopReason == nil,
                    !Task.isCancelled
                {
                    polls += 1
                    await sleepUnlessStopped(settings.poll.interval(beforePoll: polls))
                    continue
                }
                // Even a 404 is not proof the batch is gone (another project's key, a batch not listed yet):
                // the journal keeps it, and the next run asks again.
                failure.message = "cannot poll \(batch): \(failure.message); the journal keeps it, so the next run polls it again"
                failure.outcomeUnknown = true
                for waiter in waiters { waiter.fail(failure) }
                return
            } catch {
                for waiter in waiters { waiter.fail(error) }
                return
            }
            failedInARow = 0
            context.board.update(now)
            if now.isFinished { return await collect(now, waiters) }
            if !context.waits || context.stop.stopReason != nil {
                let pending = GeminiBatchPending(batch: batch, state: now.wireState.isEmpty ? now.state.rawValue : now.wireState)
                for waiter in waiters { waiter.fail(pending) }
                return
            }
            polls += 1
            await sleepUnlessStopped(settings.poll.interval(beforePoll: polls))
        }
    }

    private func sleepUnlessStopped(_ seconds: Double) async {
        let until = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < until, context.stop.stopReason == nil, !Task.isCancelled {
            try? await Task.sleep(for: min(.seconds(1), ContinuousClock.now.duration(to: until)))
        }
    }
}
