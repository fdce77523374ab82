import Foundation

/// A finished batch's results, handed to its jobs.
extension GeminiBatchRound {
    /// Succeeded: each job gets its line (image or failure). Expired: its jobs go in a new batch.
    /// Failed or cancelled: its jobs fail with the batch's reason.
    func collect(_ batch: GeminiBatch, _ waiters: [GeminiBatchWaiter]) async {
        // Lines already finished are collected whatever the ending (a cancelled batch may have some).
        let hasResults = batch.responsesFile != nil || !batch.inlinedResponses.isEmpty
        switch batch.state {
        case .succeeded:
            await deliver(batch, waiters)
        case .failed where hasResults, .cancelled where hasResults, .unknown where hasResults:
            await deliver(batch, waiters)
        case .expired:
            // Once per run: a provider that lets every batch expire is not asked forever.
            let again = ProviderFailure(
                "\(batch.name) expired again without results (a batch of this job already expired in this run); not submitted again now",
                attempts: 0)
            for waiter in waiters where waiter.expiries > 0 { waiter.fail(again) }
            let resubmitted = waiters.filter { $0.expiries == 0 }
            for waiter in resubmitted { waiter.expired(batch.name) }
            await queue.requeue(resubmitted)
        default:
            let reason = batch.errorMessage.map { api.client.redactor.redact($0) } ?? "no reason given"
            var failure = ProviderFailure(
                "batch \(batch.name) ended \(batch.wireState.isEmpty ? batch.state.rawValue : batch.wireState): \(reason)")
            // A state this version does not know may still give results: the journal keeps the batch.
            failure.outcomeUnknown = batch.state == .unknown
            for waiter in waiters { waiter.fail(failure) }
        }
    }

    /// Streams the results (file or inline) and resumes each job with its line.
    private func deliver(_ batch: GeminiBatch, _ waiters: [GeminiBatchWaiter]) async {
        // Grouped by key: every waiter is resumed, even two that asked for the same image.
        var byKey = Dictionary(grouping: waiters, by: \.key)
        do {
            if let file = batch.responsesFile {
                guard let folder = waiters.first?.request.destination.deletingLastPathComponent() else { return }
                let results = folder.appendingPathComponent("batch-results-\(UUID().uuidString).jsonl")
                defer { try? FileManager.default.removeItem(at: results) }
                _ = try await api.downloadResults(file, to: results)
                let reader = try JSONLineReader(url: results)
                while let line = try reader.next() {
                    await hand(line: try JSONParser.parse(line), of: batch, to: &byKey)
                }
            } else {
                for item in batch.inlinedResponses { await hand(line: item, of: batch, to: &byKey) }
            }
        } catch {
            // The batch is done and paid: the journal keeps its name, so the next run downloads it again.
            var failure = (error as? ProviderFailure) ?? ProviderFailure("\(error)")
            failure.message = "cannot read the results of \(batch.name): \(failure.message); the next run downloads them again"
            failure.outcomeUnknown = true
            for waiter in byKey.values.joined() { waiter.fail(failure) }
            return
        }
        for waiter in byKey.values.joined() {
            waiter.fail(ProviderFailure("\(batch.name) (\(batch.state.rawValue)) has no result line for this job"))
        }
    }

    /// One result line to the jobs with its key (lines of other keys are ignored).
    private func hand(line: JSONValue, of batch: GeminiBatch, to byKey: inout [String: [GeminiBatchWaiter]]) async {
        guard let key = line["key"]?.stringValue ?? line.at("metadata", "key")?.stringValue, let waiters = byKey.removeValue(forKey: key)
        else { return }
        for waiter in waiters { await hand(line: line, of: batch, to: waiter) }
    }

    private func hand(line: JSONValue, of batch: GeminiBatch, to waiter: GeminiBatchWaiter) async {
        let model = waiter.model
        do {
            let result = try GeminiBatchTranslator.resultLine(line, model: model, redactor: api.client.redactor)
            switch result.outcome {
            case .failure(let failure):
                waiter.fail(failure)
            case .image(let base64, let cost, let notes):
                guard let bytes = ResultDecoder.base64(base64) else { throw ProviderFailure("inlineData.data is not valid base64") }
                _ = try api.client.checkImage(bytes)
                let image: Data?
                do {
                    image = try await api.client.acceptImage(bytes, destination: waiter.request.destination)
                } catch var failure as ProviderFailure {
                    // Made and paid, but not written here (a full disk): the next run downloads the results again.
                    failure.outcomeUnknown = true
                    failure.message += "; the journal keeps \(batch.name), so the next run downloads its results again"
                    waiter.fail(failure)
                    return
                }
                waiter.succeed(
                    GenerationReceipt(actualCost: cost, attempts: 1, notes: waiter.notes + ["made in \(batch.name)"] + notes, image: image))
            }
        } catch {
            waiter.fail(error)
        }
    }
}
