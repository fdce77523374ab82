import Foundation

/// Dialect `openai-images`'s adapter (seeds 000, 001): synchronous. Text and URL references go to
/// `POST /v1/images/generations` as JSON; local reference files go to `POST /v1/images/edits` as
/// multipart parts. Results come back as `url`, `b64_json`, or a `data:` URL.
package struct OpenAIImagesProvider: ImageProvider {
    package let client: ProviderClient
    /// `url` or `b64_json`.
    package let responseFormat: String

    init(client: ProviderClient, responseFormat: String = OpenAIImagesDialect.defaultResponseFormat) {
        self.client = client
        self.responseFormat = responseFormat
    }

    package func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        if let location = request.resumeResultLocation { return try await downloadAgain(location, request: request) }
        let job = request.job
        let route = OpenAIImagesTranslator.route(for: request.references)
        let httpRequest =
            route == .edits
            ? try editsRequest(job: job, references: request.references)
            : try generationsRequest(job: job, references: request.references)
        var billable = 0
        let (_, answer) = try await client.exchange(httpRequest, deadline: request.deadline, what: route.what, billable: &billable)
        guard let location = OpenAIImagesTranslator.resultLocation(answer) else {
            throw ProviderFailure(
                "\(route.what): the answer holds no image (expected data[0].url or data[0].b64_json)",
                rawAnswer: client.redactor.record(answer.data()), attempts: billable)
        }
        var image: Data?
        do {
            switch location {
            case .base64(let text):
                guard let bytes = ResultDecoder.base64(text) else { throw ProviderFailure("b64_json is not valid base64") }
                image = try await client.acceptImage(bytes, destination: request.destination)
            case .location(let text):
                journal(text, request: request)
                _ = try await client.fetchResult(text, to: request.destination, deadline: request.deadline)
            }
        } catch var failure as ProviderFailure {
            failure.attempts = billable
            throw failure
        }
        var notes: [String] = []
        if let revised = answer.at("data", 0, "revised_prompt")?.stringValue {
            notes.append("revised prompt: \(client.redactor.redact(revised))")
        }
        return GenerationReceipt(actualCost: nil, attempts: billable, notes: notes, image: image)
    }

    /// The result URL an earlier run was answered with, downloaded instead of paying again. When
    /// it is gone (404, 410) the job fails and the journal marks the result lost.
    func downloadAgain(_ location: String, request: GenerationRequest) async throws -> GenerationReceipt {
        do {
            _ = try await client.fetchResult(location, to: request.destination, deadline: request.deadline)
        } catch var failure as ProviderFailure {
            guard failure.saysGone else {
                failure.attempts = 0
                throw failure
            }
            throw failure.asResultLost(of: "the request")
        }
        return GenerationReceipt(attempts: 0, notes: ["downloaded the result an earlier run was answered with (from the journal)"])
    }

    /// Reports an http(s) result URL for the journal before it is downloaded, unless it must not be
    /// written there (it holds the API key, or is absurdly long): then a crash pays again.
    func journal(_ location: String, request: GenerationRequest) {
        let lowercased = location.lowercased()
        guard lowercased.hasPrefix("https://") || lowercased.hasPrefix("http://"),
            location.utf8.count <= GenerationRequest.longestJournaledHandle, client.redactor.redact(location) == location
        else { return }
        request.resultLocated(location)
    }

    /// URLs as they are; local files (when mixed with URLs) inline as base64 data URLs.
    func generationsRequest(job: Job, references: [Reference]) throws -> HTTPRequest {
        let images = try references.map { reference -> String in
            if case .url(let url) = reference { return url }
            return OpenAIImagesTranslator.dataURL(try client.referenceFile(reference))
        }
        let body = OpenAIImagesTranslator.generationsBody(job: job, responseFormat: responseFormat, images: images)
        return HTTPRequest(
            method: "POST", url: try client.url(OpenAIImagesTranslator.Route.generations.path),
            headers: client.headers(json: true), body: body.data())
    }

    func editsRequest(job: Job, references: [Reference]) throws -> HTTPRequest {
        let files = try references.map(client.referenceFile)
        let form = OpenAIImagesTranslator.editsForm(job: job, responseFormat: responseFormat, files: files)
        var headers = client.headers(json: false)
        headers["Content-Type"] = form.contentType
        return HTTPRequest(
            method: "POST", url: try client.url(OpenAIImagesTranslator.Route.edits.path), headers: headers,
            body: form.finished())
    }
}
