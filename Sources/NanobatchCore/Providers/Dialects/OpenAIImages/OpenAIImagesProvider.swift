import Foundation

/// Dialect `openai-images` (seeds 000, 001): synchronous. Text and URL references go to
/// `POST /v1/images/generations` as JSON; local reference files go to `POST /v1/images/edits` as
/// multipart parts. Results come back as `url`, `b64_json`, or a `data:` URL.
public struct OpenAIImagesProvider: ImageProvider {
    public let client: ProviderClient
    /// `url` or `b64_json`.
    public let responseFormat: String

    init(client: ProviderClient, responseFormat: String = OpenAIImagesDialect.defaultResponseFormat) {
        self.client = client
        self.responseFormat = responseFormat
    }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        let job = request.job
        let files = request.references.filter { if case .file = $0 { return true } else { return false } }
        var billable = 0
        let httpRequest: HTTPRequest
        if !files.isEmpty && files.count == request.references.count {
            httpRequest = try editsRequest(job: job, references: request.references)
        } else {
            httpRequest = try generationsRequest(job: job, references: request.references)
        }
        let endpoint = httpRequest.url.path.hasSuffix("edits") ? "edits" : "generations"
        let (_, answer) = try await client.exchange(httpRequest, deadline: request.deadline, what: "images/\(endpoint)",
                                                    billable: &billable)
        guard let location = OpenAIImagesProvider.resultLocation(answer) else {
            throw ProviderFailure("images/\(endpoint): the answer holds no image (expected data[0].url or data[0].b64_json)",
                                  rawAnswer: client.redactor.record(answer.data()), attempts: billable)
        }
        var image: Data?
        do {
            switch location {
            case .base64(let text):
                guard let bytes = ResultDecoder.base64(text) else { throw ProviderFailure("b64_json is not valid base64") }
                image = try await client.acceptImage(bytes, destination: request.destination)
            case .location(let text):
                _ = try await client.fetchResult(text, to: request.destination, deadline: request.deadline)
            }
        } catch var failure as ProviderFailure {
            failure.attempts = billable
            throw failure
        }
        var notes: [String] = []
        if let revised = answer.at("data", 0, "revised_prompt")?.stringValue { notes.append("revised prompt: \(revised)") }
        return GenerationReceipt(actualCost: nil, attempts: billable, notes: notes, image: image)
    }

    func generationsRequest(job: Job, references: [Reference]) throws -> HTTPRequest {
        var body = JSONObject([("model", .string(job.model)), ("prompt", .string(job.promptText)),
                               ("response_format", .string(responseFormat)), ("aspect_ratio", .string(job.aspectRatio))])
        if !references.isEmpty {
            // URLs as they are; local files (when mixed with URLs) inline as base64 data URLs.
            body["image"] = .array(try references.map { reference -> JSONValue in
                if case .url(let url) = reference { return .string(url) }
                let image = try client.referenceFile(reference)
                return .string("data:\(image.format.mimeType);base64,\(image.bytes.base64EncodedString())")
            })
        }
        // Only nano-banana-2 has sizes, so only its jobs carry one (see `Job.imageSize`).
        if let size = job.imageSize { body["image_size"] = .string(size) }
        return HTTPRequest(method: "POST", url: try client.url("/v1/images/generations"), headers: client.headers(json: true),
                           body: JSONValue.object(body).data())
    }

    func editsRequest(job: Job, references: [Reference]) throws -> HTTPRequest {
        var form = MultipartBody()
        form.addField("model", job.model)
        form.addField("prompt", job.promptText)
        form.addField("response_format", responseFormat)
        form.addField("aspect_ratio", job.aspectRatio)
        if let size = job.imageSize { form.addField("image_size", size) }
        for (index, reference) in references.enumerated() {
            let image = try client.referenceFile(reference)
            form.addFile("image", filename: "\(index + 1)-\(image.filename)", contentType: image.format.mimeType, bytes: image.bytes)
        }
        var headers = client.headers(json: false)
        headers["Content-Type"] = form.contentType
        return HTTPRequest(method: "POST", url: try client.url("/v1/images/edits"), headers: headers, body: form.finished())
    }

    enum Location {
        case base64(String)
        case location(String)
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
