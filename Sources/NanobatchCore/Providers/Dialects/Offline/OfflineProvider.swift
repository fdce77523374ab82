import Foundation

/// The embedded provider: no network, no key, no charge. Draws a deterministic placeholder PNG of the exact
/// pixel size the real model would return: a colour from the content key, a frame, diagonals,
/// and the ratio and size written in the middle.
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
        try await WorkerThreads.shared.run {
            try PlaceholderImage.render(key: key, aspectRatio: ratio, imageSize: size).write(to: destination)
        }
        return GenerationReceipt(actualCost: 0)
    }
}
