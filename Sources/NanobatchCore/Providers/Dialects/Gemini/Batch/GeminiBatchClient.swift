import Foundation

/// The Gemini Batch API over a `ProviderClient`: upload a JSONL file (Files API, resumable), create
/// a batch from it, poll, list, cancel, and stream the results file to disk.
///
/// Money: a create is never sent twice when its outcome is unknown (whatever the retry policy says),
/// because two creates are two paid batches; the runner adopts the batch by its display name instead.
/// Secrets: the key goes only to the base URL's origin; an upload URL on another origin gets none.
package struct GeminiBatchClient: Sendable {
    package let client: ProviderClient
    /// Longest time one call (with its retries) may take.
    package var callTime: Duration
    /// Largest results file downloaded (Google's input limit is 2 GB; results carry images).
    package var maxResultsBytes: Int
    /// Items asked for per list page.
    package var listPageSize: Int
    /// Pages followed at most when listing (a provider repeating tokens cannot loop us forever).
    package var maxListPages: Int

    package init(
        client: ProviderClient, callTime: Duration = .seconds(600), maxResultsBytes: Int = 16 << 30, listPageSize: Int = 100,
        maxListPages: Int = 1000
    ) {
        self.client = client
        self.callTime = callTime
        self.maxResultsBytes = maxResultsBytes
        self.listPageSize = listPageSize
        self.maxListPages = maxListPages
    }

    private var deadline: ContinuousClock.Instant { .now + callTime }

    // MARK: Files API

    /// Uploads a JSONL file (resumable protocol: start, then the bytes with `upload, finalize`) and
    /// returns its `files/…` name. The bytes are memory-mapped from the file, not copied.
    package func uploadJSONL(_ fileURL: URL, displayName: String) async throws -> String {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: fileURL, options: .alwaysMapped)
        } catch {
            throw ProviderFailure("cannot read the batch input \(fileURL.path): \(error.localizedDescription)")
        }
        var start = HTTPRequest(
            method: "POST", url: try client.url("/upload/v1beta/files"), headers: client.headers(json: true),
            body: (["file": ["display_name": .string(displayName)]] as JSONValue).data())
        start.headers["X-Goog-Upload-Protocol"] = "resumable"
        start.headers["X-Goog-Upload-Command"] = "start"
        start.headers["X-Goog-Upload-Header-Content-Length"] = String(bytes.count)
        start.headers["X-Goog-Upload-Header-Content-Type"] = "application/jsonl"
        let started = try await send(start, what: "starting the upload")
        guard let location = started.header("x-goog-upload-url"), let uploadURL = URL(string: location),
            ["http", "https"].contains(uploadURL.scheme?.lowercased() ?? ""), uploadURL.host != nil
        else {
            throw ProviderFailure(
                "starting the upload: the answer has no usable X-Goog-Upload-URL header", httpStatus: started.status)
        }
        var upload = HTTPRequest(method: "POST", url: uploadURL, headers: uploadHeaders(for: uploadURL), body: bytes)
        upload.headers["Content-Type"] = "application/jsonl"
        upload.headers["X-Goog-Upload-Command"] = "upload, finalize"
        upload.headers["X-Goog-Upload-Offset"] = "0"
        let finished = try await send(upload, what: "uploading the batch input")
        let answer = try parse(finished, what: "uploading the batch input")
        guard let name = answer.at("file", "name")?.stringValue ?? answer["name"]?.stringValue, name.hasPrefix("files/") else {
            throw ProviderFailure(
                "uploading the batch input: the answer names no files/… file", rawAnswer: client.redactor.record(finished.body))
        }
        return name
    }

    /// The headers for the upload URL: the API key only when it is on the base URL's origin.
    func uploadHeaders(for uploadURL: URL) -> [String: String] {
        var headers = client.headers(json: false)
        headers["Accept"] = "application/json"
        guard let base = URL(string: client.baseURL), RedirectPolicy.sameOrigin(base, uploadURL) else {
            for name in headers.keys where RedirectPolicy.secretHeaders.contains(name.lowercased()) { headers[name] = nil }
            return headers
        }
        return headers
    }

    // MARK: Batches

    /// Creates a batch from an uploaded file. Never sent again when its outcome is unknown (a dropped
    /// connection after sending, a broken 2xx answer): that failure has `outcomeUnknown`, and the
    /// caller finds the batch by `displayName` with `list()`.
    package func create(model: String, fileName: String, displayName: String) async throws -> GeminiBatch {
        _ = try GeminiBatchTranslator.id(of: fileName, kind: "files")
        // Sent once: a timeout or a server error may come after the batch was made, so those answers
        // leave the outcome unknown (the caller lists batches) instead of being retried.
        var once = client
        once.retry.resendsUnknownCreates = false
        once.retry.maxAttempts = 1
        var billable = 0
        let answer: JSONValue
        do {
            answer = try await once.sendJSON(
                "POST", GeminiBatchTranslator.createPath(model: model),
                body: GeminiBatchTranslator.createBody(displayName: displayName, fileName: fileName), deadline: deadline,
                what: "creating the batch", billable: &billable
            ).answer
        } catch var failure as ProviderFailure where [408, 500, 502, 503, 504].contains(failure.httpStatus ?? 0) {
            failure.outcomeUnknown = true
            throw failure
        }
        do {
            return try GeminiBatchTranslator.batch(from: answer)
        } catch var failure as ProviderFailure {
            // Accepted (2xx) but unreadable: the batch was probably made.
            failure.outcomeUnknown = true
            throw failure
        }
    }

    /// The batch as it stands now.
    package func get(_ name: String) async throws -> GeminiBatch {
        let id = try GeminiBatchTranslator.id(of: name, kind: "batches")
        var billable = 0
        let (_, answer) = try await client.sendJSON(
            "GET", "/v1beta/batches/\(Endpoint.encode(id))", body: nil, deadline: deadline, what: "polling \(name)",
            billable: &billable)
        return try GeminiBatchTranslator.batch(from: answer)
    }

    /// Every batch of the project, following page tokens.
    package func list() async throws -> [GeminiBatch] {
        var batches: [GeminiBatch] = []
        var token: String?
        var seenTokens: Set<String> = []
        for _ in 0..<maxListPages {
            var query = [("pageSize", String(listPageSize))]
            if let token { query.append(("pageToken", token)) }
            var billable = 0
            let (_, answer) = try await client.sendJSON(
                "GET", "/v1beta/batches", body: nil, query: query, deadline: deadline, what: "listing batches",
                billable: &billable)
            let page = try GeminiBatchTranslator.listPage(answer)
            batches += page.batches
            guard let next = page.nextPageToken else { return batches }
            // A partial list would read as "not there" and make a second batch: fail instead.
            guard seenTokens.insert(next).inserted else { throw ProviderFailure("listing batches: the provider repeated a page token") }
            token = next
        }
        throw ProviderFailure("listing batches: more than \(maxListPages) pages")
    }

    /// The batches named `displayName` that may still give results (pending, running or succeeded):
    /// a batch created before a crash, to adopt instead of creating (and paying for) another.
    package func adoptable(displayName: String) async throws -> [GeminiBatch] {
        try await list().filter { $0.displayName == displayName && $0.state.isAdoptable }
    }

    /// Asks the provider to cancel a batch (it may still finish some requests).
    package func cancel(_ name: String) async throws {
        let id = try GeminiBatchTranslator.id(of: name, kind: "batches")
        var billable = 0
        _ = try await client.sendJSON(
            "POST", "/v1beta/batches/\(Endpoint.encode(id)):cancel", body: [:], deadline: deadline,
            what: "cancelling \(name)", billable: &billable)
    }

    /// Streams a results file to `destination` (never held in memory); returns the bytes written.
    package func downloadResults(_ fileName: String, to destination: URL) async throws -> Int {
        let id = try GeminiBatchTranslator.id(of: fileName, kind: "files")
        let request = HTTPRequest(
            method: "GET", url: try client.url("/download/v1beta/files/\(Endpoint.encode(id)):download", query: [("alt", "media")]),
            headers: client.headers(json: false))
        try? FileManager.default.removeItem(at: destination)
        let response = try await send(request, what: "downloading \(fileName)", into: .file(destination, limit: maxResultsBytes))
        return response.bytesWritten
    }

    // MARK: Sending

    /// Sends a request that is free and safe to repeat (uploads, downloads) through the client's retry
    /// loop and returns its 2xx answer; 2xx bodies go to `sink`, error bodies stay in memory.
    func send(_ request: HTTPRequest, what: String, into sink: ResponseSink? = nil) async throws -> HTTPResponse {
        var billable = 0
        return try await client.send(
            request, into: sink ?? .memory(limit: client.limits.answerBytes), deadline: deadline, what: what,
            countsAsBillable: false, billable: &billable
        ) { $0 }
    }

    func parse(_ response: HTTPResponse, what: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(response.body)
        } catch {
            throw ProviderFailure(
                "\(what): the answer is not JSON (\(error))", httpStatus: response.status,
                rawAnswer: client.redactor.record(response.body))
        }
    }
}
