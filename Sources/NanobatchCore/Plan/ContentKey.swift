import Foundation

/// The content key of a job: SHA-256 over a canonical, length-delimited encoding of everything
/// that shapes the provider's output. Not in it: keys, base URLs, concurrency, prices, paths.
package enum ContentKey {
    package static let formatVersion = "nanobatch-key-v1"

    package static func compute(job: Job, referenceHashes: [String], upstreamOutputHash: String?) -> String {
        var encoder = FieldEncoder()
        encoder.add("format-version", formatVersion)
        encoder.add("dialect", job.dialect)
        encoder.add("model", job.model)
        encoder.add("prompt", job.promptText)
        encoder.add("aspect-ratio", job.aspectRatio)
        encoder.add("image-size", job.imageSize ?? "")
        encoder.add("output-format", job.format.rawValue)
        encoder.add("variant", String(job.variant))
        encoder.add("upstream", upstreamOutputHash ?? "")
        encoder.add("reference-count", String(referenceHashes.count))
        for hash in referenceHashes { encoder.add("reference", hash) }
        // Added only from take 2 on, so a job never re-rolled keeps the key it had before takes existed.
        if job.take > 1 { encoder.add("take", String(job.take)) }
        return encoder.finalize()
    }

    /// Each field is `name NUL length(8 bytes, big-endian) value`, so no two field lists encode alike.
    struct FieldEncoder {
        private var hasher = SHA256Hasher()

        private var bytes: [UInt8] = []

        mutating func add(_ name: String, _ value: String) {
            bytes.append(contentsOf: name.utf8)
            bytes.append(0)
            let length = UInt64(value.utf8.count)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
            bytes.append(contentsOf: value.utf8)
        }

        /// The fields are hashed in one go: the same bytes as feeding them one by one.
        mutating func finalize() -> String {
            hasher.update(bytes: bytes)
            return hasher.finalize().hexString
        }
    }
}
