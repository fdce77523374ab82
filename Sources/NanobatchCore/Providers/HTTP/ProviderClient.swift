import Foundation

/// Size caps on what providers send back.
package struct SizeLimits: Sendable, Equatable {
    /// A JSON answer (Gemini's carries the image as base64, so this is generous).
    package var answerBytes: Int
    /// One downloaded or decoded image.
    package var imageBytes: Int

    package static let standard = SizeLimits(answerBytes: 96 << 20, imageBytes: 64 << 20)

    package init(answerBytes: Int, imageBytes: Int) {
        self.answerBytes = answerBytes
        self.imageBytes = imageBytes
    }
}

/// How a dialect sends its key.
package enum AuthStyle: Sendable {
    case bearer
    case googleAPIKey
}

/// What every HTTP adapter shares: the provider's settings, its key, the transport, the retry and
/// poll policies, and injected time and randomness (so tests of waiting never wait).
package struct ProviderClient: Sendable {
    package var config: ProviderConfig
    package var baseURL: String
    package var auth: AuthStyle
    package var transport: any HTTPTransport
    package var retry: RetryPolicy
    package var poll: PollSchedule
    package var limits: SizeLimits
    package var sleep: @Sendable (Duration) async throws -> Void
    package var random: @Sendable () -> Double
    /// Longest wait for one create or poll request.
    package var requestTimeout: Duration
    let apiKey: String?
    package let redactor: Redactor
    /// Shared with the runner: the send-rate limiter, adaptive concurrency and the requests-per-minute bucket.
    package var governor: RateGovernor?

    package init(
        config: ProviderConfig, baseURL: String, apiKey: String?, auth: AuthStyle = .bearer,
        transport: any HTTPTransport, retry: RetryPolicy = .standard, poll: PollSchedule, limits: SizeLimits = .standard,
        requestTimeout: Duration = .seconds(300), governor: RateGovernor? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.config = config
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.auth = auth
        self.transport = transport
        self.retry = retry
        self.poll = poll
        self.limits = limits
        self.requestTimeout = requestTimeout
        self.governor = governor
        self.sleep = sleep
        self.random = random
        redactor = Redactor(secrets: [apiKey].compactMap { $0 })
    }

    // MARK: Requests

    package func url(_ path: String, query: [(String, String)] = []) throws -> URL {
        guard let url = Endpoint.join(baseURL, path, query: query) else {
            throw ProviderFailure("cannot form a URL from base \"\(redactor.redact(baseURL))\" and path \"\(path)\"")
        }
        return url
    }

    package func headers(json: Bool) -> [String: String] {
        var headers = ["Accept": "application/json", "User-Agent": "nanobatch/\(NanobatchCLI.version)"]
        if json { headers["Content-Type"] = "application/json" }
        if let apiKey, !apiKey.isEmpty {
            switch auth {
            case .bearer: headers["Authorization"] = "Bearer \(apiKey)"
            case .googleAPIKey: headers["x-goog-api-key"] = apiKey
            }
        }
        return headers
    }

    /// Sends a request and parses its JSON answer, retrying what the policy allows before `deadline`.
    /// `billable` counts requests that reached the provider and might have been charged.
    package func exchange(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, what: String,
        billable: inout Int
    ) async throws -> (response: HTTPResponse, answer: JSONValue) {
        try await send(
            request, into: .memory(limit: limits.answerBytes), deadline: deadline, what: what,
            countsAsBillable: request.method == "POST", billable: &billable
        ) { ($0, try JSONParser.parse($0.body)) }
    }

    /// Sends a request, paced by the rate governor, retrying what the policy allows before `deadline`;
    /// a 2xx answer goes to `sink` and then to `parse` (a JSON parse: an answer it refuses is "not
    /// JSON" and tried again). A failed attempt leaves no partial file in a file sink.
    /// `countsAsBillable`: the request may be charged (a create): counted in `billable`, and never
    /// sent again once its outcome is unknown unless the policy says so.
    package func send<Value>(
        _ request: HTTPRequest, into sink: ResponseSink, deadline: ContinuousClock.Instant, what: String,
        countsAsBillable: Bool, billable: inout Int, parse: (HTTPResponse) throws -> Value
    ) async throws -> Value {
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let secondsLeft = ContinuousClock.now.duration(to: deadline).seconds
            guard secondsLeft > 0 else {
                throw ProviderFailure("\(what): the job's deadline passed", attempts: billable)
            }
            var turn: RateGovernor.Turn?
            if let governor {
                turn = try await governor.awaitTurn(
                    create: countsAsBillable, secondsLeft: { ContinuousClock.now.duration(to: deadline).seconds }, sleep: sleep)
                guard turn != nil else {
                    throw ProviderFailure("\(what): the provider's rate limit leaves no time before the job's deadline", attempts: billable)
                }
            }
            // Checked after every wait, right before sending: no create leaves after a refusal.
            if countsAsBillable, let reason = governor?.stop.stopReason {
                throw ProviderStopped(provider: config.name, reason: reason, attempts: billable)
            }
            var failure: ProviderFailure
            var rateLimited = false
            do {
                let timeout = min(requestTimeout, .seconds(max(0.001, ContinuousClock.now.duration(to: deadline).seconds)))
                let response = try await transport.send(request, into: sink, timeout: timeout)
                if countsAsBillable { billable += 1 }
                if response.isSuccess {
                    if let turn { governor?.answered(turn, limited: false) }
                    do {
                        return try parse(response)
                    } catch {
                        failure = ProviderFailure(
                            "\(what): the answer is not JSON (\(error))", httpStatus: response.status,
                            rawAnswer: redactor.record(response.body), retryable: true)
                        // A create the provider accepted (2xx) whose answer is broken was probably made.
                        failure.outcomeUnknown = countsAsBillable
                    }
                } else {
                    failure = ProviderErrorReader.failure(response, redactor: redactor, apiKeyEnv: config.apiKeyEnv)
                    failure.message = "\(what): \(failure.message)"
                    if failure.stopsProvider { governor?.stop.stop(because: failure.description) }
                    rateLimited = response.status == 429 && failure.retryable
                    if rateLimited, let turn { governor?.answered(turn, limited: true, retryAfter: failure.retryAfter) }
                }
            } catch let error as TransportError {
                if error == .cancelled { throw CancellationError() }
                failure = ProviderFailure(
                    "\(what): \(redactor.redact(error.description))",
                    retryable: error.mayHelpToRetry)
                if case .notSent = error {
                } else if countsAsBillable {
                    // The request may have reached the provider before the connection failed.
                    billable += 1
                    failure.outcomeUnknown = true
                }
            }
            if failure.outcomeUnknown && !retry.resendsUnknownCreates {
                failure.retryable = false
                failure.message += " — \(RetryPolicy.notSentAgain)"
            }
            failure.attempts = billable
            if case .file(let partial, _) = sink { try? FileManager.default.removeItem(at: partial) }
            let wait = retry.delay(afterAttempt: attempt, unit: random(), retryAfter: failure.retryAfter)
            let left = ContinuousClock.now.duration(to: deadline).seconds
            guard retry.shouldRetry(failure, attempt: attempt, secondsLeft: left, wait: wait) else { throw failure }
            if rateLimited, countsAsBillable, let governor {
                // A create waiting out a 429 frees its slot for another job meanwhile.
                try await governor.waitingOutRateLimit { try await sleep(.seconds(wait)) }
            } else {
                try await sleep(.seconds(wait))
            }
        }
    }

    package func sendJSON(
        _ method: String, _ path: String, body: JSONValue?, query: [(String, String)] = [],
        deadline: ContinuousClock.Instant, what: String,
        billable: inout Int
    ) async throws -> (response: HTTPResponse, answer: JSONValue) {
        let request = HTTPRequest(
            method: method, url: try url(path, query: query), headers: headers(json: body != nil),
            body: body?.data())
        return try await exchange(request, deadline: deadline, what: what, billable: &billable)
    }

    // MARK: Results

    /// Writes a result to `destination`: an http(s) URL streamed to disk, or a `data:` URL decoded.
    /// The file must be a whole PNG, JPEG or WebP; failed or broken downloads are tried again briefly.
    package func fetchResult(_ location: String, to destination: URL, deadline: ContinuousClock.Instant) async throws -> ImageInfo {
        let trimmed = location.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.lowercased().hasPrefix("data:") {
            guard let bytes = ResultDecoder.dataURL(trimmed) else {
                throw ProviderFailure(
                    "the result is a data URL that is not base64 image data",
                    rawAnswer: redactor.redact(String(trimmed.prefix(200))))
            }
            return try await writeImage(bytes, to: destination)
        }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            url.host != nil
        else {
            throw ProviderFailure("the result location is not an http(s) URL: \(redactor.redact(String(trimmed.prefix(200))))")
        }
        let shown = redactor.redact(trimmed)
        var attempt = 0
        let downloadPolicy = RetryPolicy(
            maxAttempts: 3, initialDelay: retry.initialDelay, multiplier: 2,
            maximumDelay: 10, jitter: retry.jitter, longestHonouredWait: 30)
        while true {
            attempt += 1
            try Task.checkCancellation()
            var failure: ProviderFailure
            do {
                let left = ContinuousClock.now.duration(to: deadline).seconds
                guard left > 0 else { throw ProviderFailure("downloading \(shown): the job's deadline passed") }
                // Result URLs are public: the API key is never sent to them.
                let request = HTTPRequest(method: "GET", url: url, headers: ["User-Agent": "nanobatch/\(NanobatchCLI.version)"])
                let response = try await transport.send(
                    request, into: .file(destination, limit: limits.imageBytes),
                    timeout: min(requestTimeout, .seconds(left)))
                if response.isSuccess {
                    if let info = ImageInspector.inspectFile(at: destination.path) { return info }
                    failure = ProviderFailure(
                        "downloading \(shown): \(response.bytesWritten) bytes that are not a whole PNG, JPEG or WebP image",
                        httpStatus: response.status, retryable: true)
                } else {
                    failure = ProviderErrorReader.failure(response, redactor: redactor, apiKeyEnv: nil)
                    failure.message = "downloading \(shown): \(failure.message)"
                    failure.stopsProvider = false
                    failure.retryable = failure.retryable || response.status == 404 && attempt == 1
                }
            } catch let error as TransportError {
                if error == .cancelled { throw CancellationError() }
                failure = ProviderFailure("downloading \(shown): \(redactor.redact(error.description))", retryable: error.mayHelpToRetry)
            }
            try? FileManager.default.removeItem(at: destination)
            failure.outcomeUnknown = true
            let wait = downloadPolicy.delay(afterAttempt: attempt, unit: random(), retryAfter: failure.retryAfter)
            let left = ContinuousClock.now.duration(to: deadline).seconds
            guard downloadPolicy.shouldRetry(failure, attempt: attempt, secondsLeft: left, wait: wait) else { throw failure }
            try await sleep(.seconds(wait))
        }
    }

    /// Checks decoded image bytes: a whole PNG, JPEG or WebP image, within the size cap.
    package func checkImage(_ bytes: Data) throws -> ImageInfo {
        guard bytes.count <= limits.imageBytes else {
            throw ProviderFailure("the image is larger than the \(ByteCount.describe(limits.imageBytes)) limit")
        }
        guard let info = ImageInspector.inspectWhole(bytes) else {
            throw ProviderFailure("the provider's image data (\(bytes.count) bytes) is not a whole PNG, JPEG or WebP image")
        }
        return info
    }

    /// Image bytes a provider answered with inline, checked, for the runner to store: no file is
    /// written here, so the request's slot is free the moment the answer is read. Images over
    /// `inlineImageLimit` are written to `destination` instead, so that memory stays bounded.
    package func acceptImage(_ bytes: Data, destination: URL) async throws -> Data? {
        guard bytes.count > ProviderClient.inlineImageLimit else {
            _ = try checkImage(bytes)
            return bytes
        }
        _ = try await writeImage(bytes, to: destination)
        return nil
    }

    /// Largest inline image handed to the runner in memory (larger ones go through a file).
    package static let inlineImageLimit = 1 << 20

    /// Writes decoded image bytes, refusing anything that is not a whole image or is over the cap.
    /// The file is created and written on a file-I/O thread: creating a file can wait on the disk.
    package func writeImage(_ bytes: Data, to destination: URL) async throws -> ImageInfo {
        let info = try checkImage(bytes)
        do {
            try await WorkerThreads.fileIO.run { try FileIO.writeNew(bytes, to: destination.path) }  // the store fsyncs it when it takes it
        } catch {
            throw ProviderFailure("cannot write the image: \(error.localizedDescription)")
        }
        return info
    }

    // MARK: Polling

    /// What one poll of an async task found.
    package enum TaskState: Sendable {
        case running(status: String)
        case succeeded(resultLocations: [String], answer: JSONValue)
        case failed(ProviderFailure)
    }

    /// Polls until the task ends or the deadline passes. Poll requests that fail for a reason worth
    /// retrying (rate limit, server error, lost connection) count as "still running".
    package func waitForTask(
        id: String, deadline: ContinuousClock.Instant,
        check: () async throws -> TaskState
    ) async throws -> (locations: [String], answer: JSONValue) {
        var pollNumber = 0
        var lastStatus = "submitted"
        var consecutiveErrors = 0
        func deadlinePassed() -> ProviderFailure {
            var failure = ProviderFailure(
                "task \(id) did not finish before the job's deadline (\(String(format: "%g", config.deadlineSeconds)) s); last status: \(lastStatus); a rerun polls it again"
            )
            failure.outcomeUnknown = true
            return failure
        }
        while true {
            pollNumber += 1
            let wait = poll.interval(beforePoll: pollNumber)
            let left = ContinuousClock.now.duration(to: deadline).seconds
            guard left > 0 else { throw deadlinePassed() }
            try await sleep(.seconds(min(wait, left)))
            let state: TaskState
            do {
                state = try await check()
            } catch var failure as ProviderFailure {
                if ContinuousClock.now >= deadline { throw deadlinePassed() }
                guard failure.retryable, !failure.stopsProvider else {
                    // The task was created (and paid for) and may still finish: the journal keeps it, a
                    // rerun polls it again (the provider's answer on a poll of the task itself decides).
                    failure.outcomeUnknown = true
                    throw failure
                }
                // The poll itself failed after its own retries; the task may still be running.
                consecutiveErrors += 1
                lastStatus = "poll error: \(failure)"
                failure.outcomeUnknown = true
                if consecutiveErrors >= 3 { throw failure }
                continue
            }
            consecutiveErrors = 0
            switch state {
            case .running(let status): lastStatus = status
            case .succeeded(let locations, let answer): return (locations, answer)
            case .failed(let failure): throw failure
            }
        }
    }
}
