import Foundation

/// Gathers the jobs of one `"mode": "batch"` provider into batches and hands each group to a
/// `GeminiBatchRound`. Jobs arrive one by one as the runner starts them (they hold no slot while
/// they wait); jobs that arrive within `gatherWindow` of each other form one group:
///
/// - jobs whose batch an earlier run created (journal `task`) are polled in that batch;
/// - jobs an earlier run was about to batch (journal `intent`) adopt the batch of that display name
///   if the provider has it, else join new batches;
/// - the others go in new batches, one model per batch, at most `maxLines` each.
actor GeminiBatchQueue {
    let api: GeminiBatchClient
    let settings: GeminiBatchSettings
    let context: GeminiBatchRunContext
    private var gathering: [GeminiBatchWaiter] = []
    private var lastArrival = ContinuousClock.now
    private var timer: Task<Void, Never>?

    init(api: GeminiBatchClient, settings: GeminiBatchSettings, context: GeminiBatchRunContext) {
        self.api = api
        self.settings = settings
        self.context = context
    }

    /// Takes a job; its waiter is resumed when its batch has its result (or it cannot have one).
    func enqueue(_ waiter: GeminiBatchWaiter) {
        gathering.append(waiter)
        lastArrival = .now
        if gathering.count >= settings.maxLines * 4 { seal() }
        guard timer == nil else { return }
        let window = settings.gatherWindow
        timer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: window / 4)
                guard let self else { return }
                if await self.sealIfQuiet() { return }
            }
        }
    }

    /// Jobs that need a new batch after all (their batch expired, or was never created).
    func requeue(_ waiters: [GeminiBatchWaiter]) {
        for waiter in waiters { enqueue(waiter) }
    }

    private func sealIfQuiet() -> Bool {
        guard lastArrival.duration(to: .now) >= settings.gatherWindow else { return false }
        timer = nil
        seal()
        return true
    }

    /// Hands every gathered job to a round, grouped as the type's comment says.
    private func seal() {
        let waiters = gathering.filter { !$0.isResumed }
        gathering = []
        let round = GeminiBatchRound(api: api, settings: settings, context: context, queue: self)
        var byBatch: [String: [GeminiBatchWaiter]] = [:]
        var byIntent: [String: [GeminiBatchWaiter]] = [:]
        var byModel: [String: [GeminiBatchWaiter]] = [:]
        for waiter in waiters {
            if let batch = waiter.resumeBatch {
                byBatch[batch, default: []].append(waiter)
            } else if let intent = waiter.resumeIntent {
                byIntent[intent, default: []].append(waiter)
            } else {
                byModel[waiter.model, default: []].append(waiter)
            }
        }
        for (batch, group) in byBatch.sorted(by: { $0.key < $1.key }) {
            Task.detached { await round.follow(batch, group) }
        }
        for (intent, group) in byIntent.sorted(by: { $0.key < $1.key }) {
            Task.detached { await round.adopt(intent, group) }
        }
        let stopped = context.stop.stopReason
        for (model, group) in byModel.sorted(by: { $0.key < $1.key }) {
            let sorted = group.sorted { $0.key < $1.key }
            let lines = max(1, settings.maxLines)
            for start in stride(from: 0, to: sorted.count, by: lines) {
                let part = Array(sorted[start..<min(sorted.count, start + lines)])
                if let stopped {
                    for waiter in part { waiter.fail(ProviderStopped(provider: waiter.request.job.provider, reason: stopped, attempts: 0)) }
                    continue
                }
                Task.detached { await round.submit(model: model, part) }
            }
        }
    }
}
