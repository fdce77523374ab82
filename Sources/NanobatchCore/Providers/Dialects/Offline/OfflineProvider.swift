import Foundation

/// The embedded provider: no network, no key, no charge. Draws a deterministic placeholder PNG of the exact
/// pixel size the real model would return: a colour from the content key, a frame, diagonals,
/// and in the middle the prompt or step id, model, variant, take, ratio and size.
package struct OfflineProvider: ImageProvider {
    package let latency: Duration

    package init(latency: Duration = .zero) { self.latency = latency }

    package var submissionKind: SubmissionKind { OfflineDialect().submissionKind }

    package func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        if latency > .zero { try await Task.sleep(for: latency) }
        try Task.checkCancellation()
        // Drawing and encoding a 4K PNG takes a while: done on dedicated threads, never on the
        // cooperative pool (every job's waits) or Dispatch's shared threads (URLSession).
        let (key, ratio, size, destination) = (request.key, request.job.aspectRatio, request.job.imageSize, request.destination)
        let lines = PlaceholderImage.label(for: request.job)
        try await WorkerThreads.shared.run {
            try PlaceholderImage.render(key: key, aspectRatio: ratio, imageSize: size, lines: lines).write(to: destination)
        }
        return GenerationReceipt(actualCost: 0)
    }
}
