import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The real transport: URLSession with a delegate that streams bodies into memory or a file,
/// stops at the size cap, and notices bodies shorter than their Content-Length.
package final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let session: URLSession
    /// Requests with a body: one connection each.
    private let uploadSession: URLSession
    private let delegate: SessionDelegate
    /// Downloads at once. URLSession on Linux queues every received chunk for the one delegate
    /// queue without back-pressure; when the machine is busy, chunks of many downloads pile up there.
    /// So the number follows the size of recent downloads (`DownloadLimit`).
    private let downloads: AsyncGate
    private let downloadLimit: DownloadLimit
    private let recentSizes = RecentSizes(capacity: 32)

    package init(maxConnectionsPerHost: Int = 256, downloadLimit: DownloadLimit = .standard) {
        self.downloadLimit = downloadLimit
        downloads = AsyncGate(limit: downloadLimit.limit(recentLargest: nil))
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maxConnectionsPerHost
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForResource = 24 * 3600
        delegate = SessionDelegate()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        uploadSession = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit {
        session.finishTasksAndInvalidate()
        uploadSession.finishTasksAndInvalidate()
    }

    package func send(_ request: HTTPRequest, into sink: ResponseSink, timeout: Duration) async throws -> HTTPResponse {
        // The whole exchange, the wait for a download slot included, ends by this deadline.
        let deadline = ContinuousClock.now + timeout
        guard case .file = sink else { return try await transfer(request, into: sink, deadline: deadline) }
        do {
            let response = try await downloads.withSlot(until: deadline) { try await transfer(request, into: sink, deadline: deadline) }
            if case .file(let destination, _) = sink, let size = FileIO.fileSize(destination.path) {
                downloads.setLimit(downloadLimit.limit(recentLargest: recentSizes.add(size)))
            }
            return response
        } catch is CancellationError {
            throw TransportError.cancelled
        } catch is AsyncGate.GateTimeout {
            throw TransportError.notSent("no download slot came free before the deadline")
        }
    }

    private func transfer(_ request: HTTPRequest, into sink: ResponseSink, deadline: ContinuousClock.Instant) async throws -> HTTPResponse {
        let timeout = ContinuousClock.now.duration(to: deadline)
        guard timeout > .zero else { throw TransportError.notSent("the deadline passed before the request was sent") }
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        // URLSession's own timeout restarts with every byte received; the deadline below bounds the whole exchange.
        urlRequest.timeoutInterval = max(1, timeout.seconds)
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        // libcurl decodes gzip and friends itself, faster than the delegate can stop it: ask for none
        // (answers that come encoded anyway are refused in the delegate).
        urlRequest.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        urlRequest.httpBody = request.body
        let session: URLSession
        if request.body != nil {
            // A request with a body never rides a reused HTTP/1.1 connection: if such a connection dies,
            // libcurl resends on its own (the body lost or the task stuck), and we could not count it.
            // Over HTTP/2 (any server that offers it) libcurl multiplexes it on a shared connection anyway
            // (measured: README › Performance).
            urlRequest.setValue("close", forHTTPHeaderField: "Connection")
            session = uploadSession
        } else {
            session = self.session
        }
        let task = session.dataTask(with: urlRequest)
        let delegate = self.delegate
        let queue = session.delegateQueue
        // Weak: a finished task (and its body) is not kept alive until its timer would have fired.
        let expiry = DispatchWorkItem { [weak task] in
            guard let task else { return }
            queue.addOperation { delegate.expire(task) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds, execute: expiry)
        defer { expiry.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                delegate.register(task, sink: sink, continuation: continuation)
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// Per-task bookkeeping (keyed by task object: two sessions share it); callbacks arrive on one serial queue.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    final class Exchange {
        let sink: ResponseSink
        let continuation: CheckedContinuation<HTTPResponse, any Error>
        var status = 0
        var headers: [String: String] = [:]
        var expectedLength: Int?
        var body = Data()
        var received = 0
        var file: FileHandle?
        var failure: TransportError?
        var redirects = 0

        init(sink: ResponseSink, continuation: CheckedContinuation<HTTPResponse, any Error>) {
            self.sink = sink
            self.continuation = continuation
        }
    }

    private let lock = NSLock()
    private var exchanges: [ObjectIdentifier: Exchange] = [:]

    func register(_ task: URLSessionTask, sink: ResponseSink, continuation: CheckedContinuation<HTTPResponse, any Error>) {
        lock.withLock { exchanges[ObjectIdentifier(task)] = Exchange(sink: sink, continuation: continuation) }
    }

    private func exchange(_ task: URLSessionTask) -> Exchange? {
        lock.withLock { exchanges[ObjectIdentifier(task)] }
    }

    /// Ends a task whose deadline passed. Runs on the delegate queue, like every callback.
    func expire(_ task: URLSessionTask) {
        guard let exchange = exchange(task), exchange.failure == nil else { return }
        exchange.failure = .timedOut
        task.cancel()
    }

    /// Redirects follow `RedirectPolicy`: a request with a body is never sent again, and the key headers
    /// never go to another origin (URLSession would copy them to any host).
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        guard let exchange = exchange(task), let current = task.currentRequest ?? task.originalRequest, let url = current.url else {
            completionHandler(nil)
            return
        }
        let sent = HTTPRequest(
            method: current.httpMethod ?? "GET", url: url, headers: current.allHTTPHeaderFields ?? [:],
            body: current.httpBody)
        guard
            let next = RedirectPolicy.standard.next(
                after: sent, status: response.statusCode, location: request.url?.absoluteString,
                hops: exchange.redirects)
        else {
            completionHandler(nil)
            return
        }
        exchange.redirects += 1
        var followed = URLRequest(url: next.url)
        followed.httpMethod = next.method
        followed.timeoutInterval = current.timeoutInterval
        for (name, value) in next.headers { followed.setValue(value, forHTTPHeaderField: name) }
        completionHandler(followed)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let exchange = exchange(dataTask), let http = response as? HTTPURLResponse else {
            completionHandler(.cancel)
            return
        }
        exchange.status = http.statusCode
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { exchange.headers[name.lowercased()] = value }
        }
        if let refusal = TransportError.refusingContentCoding(exchange.headers["content-encoding"]) {
            exchange.failure = refusal
            completionHandler(.cancel)
            return
        }
        if let length = exchange.headers["content-length"].flatMap({ Int($0) }), length >= 0 {
            exchange.expectedLength = length
            if length > exchange.sink.limit {
                exchange.failure = .tooLarge(limit: exchange.sink.limit)
                completionHandler(.cancel)
                return
            }
        }
        if case .file(let url, _) = exchange.sink, (200..<300).contains(http.statusCode) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil),
                let handle = try? FileHandle(forWritingTo: url)
            else {
                exchange.failure = .connection("cannot write \(url.lastPathComponent)")
                completionHandler(.cancel)
                return
            }
            exchange.file = handle
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let exchange = exchange(dataTask), exchange.failure == nil else { return }
        exchange.received += data.count
        // Error bodies of downloads stay small: they are read for the message only.
        let limit = exchange.isFileSink && exchange.file == nil ? min(exchange.sink.limit, 1 << 20) : exchange.sink.limit
        if exchange.received > limit {
            exchange.failure = .tooLarge(limit: limit)
            dataTask.cancel()
            return
        }
        if let file = exchange.file {
            do { try file.write(contentsOf: data) } catch {
                exchange.failure = .connection("cannot write the download: \(error.localizedDescription)")
                dataTask.cancel()
            }
        } else {
            exchange.body.append(data)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let exchange = lock.withLock({ exchanges.removeValue(forKey: ObjectIdentifier(task)) }) else { return }
        try? exchange.file?.close()
        if let failure = exchange.failure {
            exchange.continuation.resume(throwing: failure)
            return
        }
        if let error {
            exchange.continuation.resume(throwing: SessionDelegate.transportError(error))
            return
        }
        if let expected = exchange.expectedLength, exchange.received < expected {
            exchange.continuation.resume(throwing: TransportError.truncated(expected: expected, received: exchange.received))
            return
        }
        exchange.continuation.resume(
            returning: HTTPResponse(
                status: exchange.status, headers: exchange.headers, body: exchange.body,
                bytesWritten: exchange.file == nil ? 0 : exchange.received))
    }

    static func transportError(_ error: any Error) -> TransportError {
        guard let urlError = error as? URLError else { return .connection("\(error)") }
        switch urlError.code {
        case .timedOut: return .timedOut
        case .cancelled: return .cancelled
        // No connection was made, so no request went out.
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed: return .notSent(urlError.localizedDescription)
        default: return .connection(urlError.localizedDescription)
        }
    }
}

extension SessionDelegate.Exchange {
    var isFileSink: Bool {
        if case .file = sink { return true }
        return false
    }
}

/// How many downloads may run at once: as many as fit `bytesInFlight` if each were as large as the
/// largest recent one, between `minimum` (also the start, before any size is known) and `maximum`.
/// 4 MB images: 16 at once; small ones: up to the maximum.
package struct DownloadLimit: Sendable, Equatable {
    package var bytesInFlight: Int
    package var minimum: Int
    package var maximum: Int
    /// Sizes below this count as this much (headers, buffers, the file itself).
    package var smallestCounted: Int

    package init(bytesInFlight: Int, minimum: Int, maximum: Int, smallestCounted: Int = 64 << 10) {
        self.bytesInFlight = bytesInFlight
        self.minimum = max(1, minimum)
        self.maximum = max(self.minimum, maximum)
        self.smallestCounted = max(1, smallestCounted)
    }

    package static let standard = DownloadLimit(bytesInFlight: 64 << 20, minimum: 16, maximum: 256)
    package static func fixed(_ count: Int) -> DownloadLimit { DownloadLimit(bytesInFlight: 0, minimum: count, maximum: count) }

    package func limit(recentLargest: Int?) -> Int {
        guard let largest = recentLargest else { return minimum }
        return min(maximum, max(minimum, bytesInFlight / max(largest, smallestCounted)))
    }
}

/// The last `capacity` download sizes; `add` returns the largest of them.
final class RecentSizes: Sendable {
    private struct Ring {
        var sizes: [Int] = []
        var next = 0
    }

    private let ring = Locked(Ring())
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func add(_ size: Int) -> Int {
        ring.withLock { ring in
            if ring.sizes.count < capacity { ring.sizes.append(size) } else { ring.sizes[ring.next] = size }
            ring.next = (ring.next + 1) % capacity
            return ring.sizes.max() ?? size
        }
    }
}
