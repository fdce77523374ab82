import Foundation

/// The openai-images endpoints as data: which endpoint a job goes to, the generations JSON body,
/// the edits form, and where an answer keeps the image. Pure: the adapter reads files and sends.
enum OpenAIImagesTranslator {
    /// The two endpoints a job can go to.
    enum Route: Sendable, Equatable {
        /// `POST /v1/images/generations`, JSON: text, and URL (or inlined) references.
        case generations
        /// `POST /v1/images/edits`, multipart: local reference files, one part each.
        case edits

        var path: String { self == .edits ? "/v1/images/edits" : "/v1/images/generations" }
        /// The endpoint's name in messages.
        var what: String { self == .edits ? "images/edits" : "images/generations" }
    }

    /// Where an answer keeps the image.
    enum Location: Sendable, Equatable {
        case base64(String)
        case location(String)
    }

    /// Edits when every reference is a local file (and there is one); generations otherwise.
    static func route(for references: [Reference]) -> Route {
        let files = references.filter { if case .file = $0 { return true } else { return false } }
        return !files.isEmpty && files.count == references.count ? .edits : .generations
    }

    /// The generations body; `images` are the references as sent: URLs, or `data:` URLs of local files.
    static func generationsBody(job: Job, responseFormat: String, images: [String]) -> JSONValue {
        var body = JSONObject([
            ("model", .string(job.model)), ("prompt", .string(job.promptText)),
            ("response_format", .string(responseFormat)), ("aspect_ratio", .string(job.aspectRatio)),
        ])
        if !images.isEmpty { body["image"] = .array(images.map { .string($0) }) }
        // Only nano-banana-2 has sizes, so only its jobs carry one (see `Job.imageSize`).
        if let size = job.imageSize { body["image_size"] = .string(size) }
        return .object(body)
    }

    /// A local reference inlined for the generations endpoint.
    static func dataURL(_ image: ReferenceImage) -> String {
        "data:\(image.format.mimeType);base64,\(image.bytes.base64EncodedString())"
    }

    /// The edits form: the job's fields, then one `image` part per reference file, numbered.
    static func editsForm(job: Job, responseFormat: String, files: [ReferenceImage], into form: MultipartBody = MultipartBody())
        -> MultipartBody
    {
        var form = form
        form.addField("model", job.model)
        form.addField("prompt", job.promptText)
        form.addField("response_format", responseFormat)
        form.addField("aspect_ratio", job.aspectRatio)
        if let size = job.imageSize { form.addField("image_size", size) }
        for (index, image) in files.enumerated() {
            form.addFile("image", filename: "\(index + 1)-\(image.filename)", contentType: image.format.mimeType, bytes: image.bytes)
        }
        return form
    }

    /// `data[0].b64_json`, `data[0].url`, or (from gateways answering in chat form) an image in text.
    static func resultLocation(_ answer: JSONValue) -> Location? {
        for item in answer["data"]?.arrayValue ?? [] {
            if let b64 = item["b64_json"]?.stringValue, !b64.isEmpty { return .base64(b64) }
            if let url = item["url"]?.stringValue, !url.isEmpty { return .location(url) }
        }
        for text in answer.allStrings {
            if let found = ResultDecoder.locations(inText: text).first(where: { $0.hasPrefix("data:image/") || text.contains("![") }) {
                return .location(found)
            }
        }
        return nil
    }
}
