import Foundation

/// A reference image read from disk or fetched, ready to upload.
package struct ReferenceImage: Sendable {
    package var bytes: Data
    package var format: ImageFormat
    package var filename: String
}

extension ProviderClient {
    /// The http(s) URL to send for a reference: its own, or the one the manifest maps a local file to.
    package func referenceURL(_ reference: Reference) throws -> String {
        switch reference {
        case .url(let url): return url
        case .file(_, let written):
            if let mapped = config.referenceURLs[written] { return mapped }
            throw ProviderFailure(
                "reference \"\(written)\" is a local file, but dialect \(config.dialect) only takes http(s) URLs; map it in providers.\(config.name).referenceURLs"
            )
        }
    }

    /// The bytes of a local reference file, checked to be an image.
    package func referenceFile(_ reference: Reference) throws -> ReferenceImage {
        guard case .file(let path, let written) = reference else {
            throw ProviderFailure("reference \"\(reference.written)\" is not a local file")
        }
        guard let size = FileIO.fileSize(path) else { throw ProviderFailure("reference \"\(written)\" cannot be read at \(path)") }
        guard size <= limits.imageBytes else {
            throw ProviderFailure(
                "reference \"\(written)\" is \(ByteCount.describe(size)), over the \(ByteCount.describe(limits.imageBytes)) limit")
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ProviderFailure("reference \"\(written)\" cannot be read at \(path)")
        }
        guard let info = ImageInspector.inspect([UInt8](bytes)) else {
            throw ProviderFailure("reference \"\(written)\" is not a whole PNG, JPEG or WebP image")
        }
        let name = (path as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        return ReferenceImage(bytes: bytes, format: info.format, filename: "\(stem).\(info.format.fileExtension)")
    }

    /// A reference as bytes: read from disk, or fetched from its URL (capped, checked).
    package func referenceBytes(_ reference: Reference, deadline: ContinuousClock.Instant) async throws -> ReferenceImage {
        switch reference {
        case .file: return try referenceFile(reference)
        case .url(let location):
            guard let url = URL(string: location) else { throw ProviderFailure("reference \"\(location)\" is not a URL") }
            let left = ContinuousClock.now.duration(to: deadline).seconds
            let response: HTTPResponse
            do {
                response = try await transport.send(
                    HTTPRequest(method: "GET", url: url), into: .memory(limit: limits.imageBytes),
                    timeout: min(requestTimeout, .seconds(max(1, left))))
            } catch let error as TransportError {
                throw ProviderFailure(
                    "fetching reference \(redactor.redact(location)): \(redactor.redact(error.description))",
                    retryable: error.mayHelpToRetry)
            }
            guard response.isSuccess else {
                throw ProviderFailure(
                    "fetching reference \(redactor.redact(location)): HTTP \(response.status)",
                    httpStatus: response.status, retryable: RetryPolicy.retryableStatuses.contains(response.status))
            }
            guard let info = ImageInspector.inspect([UInt8](response.body)) else {
                throw ProviderFailure("reference \(redactor.redact(location)) is not a whole PNG, JPEG or WebP image")
            }
            return ReferenceImage(bytes: response.body, format: info.format, filename: "reference.\(info.format.fileExtension)")
        }
    }
}
