import Foundation

/// Dialect `gemini` with `"mode": "batch"`: each job joins a batch of the Gemini Batch API (half
/// the price, results within 24 h) through the provider's `GeminiBatchQueue`. While it waits, the
/// job holds no slot of the run's concurrency, so every ready job joins the batch.
package struct GeminiBatchProvider: ImageProvider {
    let queue: GeminiBatchQueue
    let governor: RateGovernor?

    package init(client: ProviderClient, settings: GeminiBatchSettings, context: GeminiBatchRunContext) {
        var settings = settings
        settings.waits = settings.waits && context.waits
        queue = GeminiBatchQueue(api: GeminiBatchClient(client: client), settings: settings, context: context)
        governor = client.governor
    }

    /// The batch's name is journaled like an async task's id; a rerun polls it instead of creating.
    package var submissionKind: SubmissionKind { .asyncTask }

    package func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        let waiter = GeminiBatchWaiter(request: request)
        let queue = queue
        let wait: () async throws -> GenerationReceipt = {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    waiter.wait(continuation)
                    Task { await queue.enqueue(waiter) }
                }
            } onCancel: {
                waiter.fail(CancellationError())
            }
        }
        guard let governor else { return try await wait() }
        return try await governor.waitingInBatch(wait)
    }
}
