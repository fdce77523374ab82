import Foundation

/// Speaks Bazel's HTTP remote-cache protocol: `GET`, `HEAD` and `PUT` of `{url}/cas/{sha256}` (an
/// image's bytes, named by their SHA-256) and `{url}/ac/{content key}` (a job's `StoreRecord`).
/// Any server that stores what it is given works: bazel-remote, nginx with WebDAV `PUT`, a cache.
///
/// Every request has a deadline and is retried by `policy.retry` when it got no answer or a
/// 408/429/5xx; the `Authorization` header goes only with requests to the store's own origin (the
/// transports drop it on a redirect elsewhere), and every message has it removed (`Redactor`).
package final class RemoteStoreClient: Sendable {
    package enum Area: String, Sendable {
        case cas, ac
    }

    package let settings: RemoteStoreSettings
    private let transport: any HTTPTransport
    private let redactor: Redactor
    private let sent = Locked(0)

    package init(settings: RemoteStoreSettings, transport: any HTTPTransport) {
        self.settings = settings
        self.transport = transport
        var secrets: [String] = []
        if let authorization = settings.authorization {
            secrets.append(authorization)
            // The credential alone too, as an echo may show it without its scheme word.
            if let space = authorization.firstIndex(of: " ") {
                secrets.append(String(authorization[authorization.index(after: space)...]).trimmingCharacters(in: .whitespaces))
            }
        }
        redactor = Redactor(secrets: secrets)
    }

    /// HTTP requests sent so far (retries included).
    package var requestsSent: Int { sent.withLock { $0 } }
    var policy: RemoteStorePolicy { settings.policy }

    package func url(_ area: Area, _ name: String) -> URL {
        settings.url.appendingPathComponent(area.rawValue).appendingPathComponent(name)
    }

    /// The size the store gives for an entry, `-1` when it gives none, or `nil` when the entry is not there.
    package func size(_ area: Area, _ name: String) async throws -> Int? {
        let response = try await send("HEAD", url(area, name), body: nil, limit: 64 << 10)
        if response.status == 404 { return nil }
        try expectSuccess(response, "HEAD", area, name)
        return response.header("content-length").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? -1
    }

    /// The entry's bytes, or `nil` when it is not there.
    package func get(_ area: Area, _ name: String) async throws -> Data? {
        let limit = area == .cas ? policy.maxImageBytes : policy.maxRecordBytes
        let response = try await send("GET", url(area, name), body: nil, limit: limit)
        if response.status == 404 { return nil }
        try expectSuccess(response, "GET", area, name)
        return response.body
    }

    /// Stores `bytes` under the name (the caller checked first that it is not there: writes are create-only).
    package func put(_ area: Area, _ name: String, _ bytes: Data) async throws {
        let response = try await send("PUT", url(area, name), body: bytes, limit: 64 << 10)
        try expectSuccess(response, "PUT", area, name)
    }

    /// Whether the store answers and takes a write: puts a small fixed blob (its name is its SHA-256, so
    /// writing it again changes nothing) and reads it back. Run before any paid request.
    package func probeWrite() async throws {
        let probe = Data("nanobatch remote store probe v1\n".utf8)
        let name = SHA256.hash(probe).hexString
        try await put(.cas, name, probe)
        guard let back = try await get(.cas, name) else {
            throw RemoteStoreError(.refused(status: 404), "\(url(.cas, name)): a blob written to the store could not be read back")
        }
        guard back == probe else {
            throw RemoteStoreError(.corrupt, "\(url(.cas, name)): the store gave back other bytes than were written to it")
        }
    }

    // MARK: Sending

    /// An error page as one short line: an HTML page's title (nginx's "405 Not Allowed"), else the text without tags.
    static func readable(_ body: String) -> String {
        var text = body
        if let open = text.range(of: "<title>", options: .caseInsensitive),
            let close = text.range(of: "</title>", options: .caseInsensitive, range: open.upperBound..<text.endIndex)
        {
            text = String(text[open.upperBound..<close.lowerBound])
        }
        text = text.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count > 200 ? String(words.prefix(200)) + "…" : words
    }

    private func expectSuccess(_ response: HTTPResponse, _ method: String, _ area: Area, _ name: String) throws {
        guard !response.isSuccess else { return }
        let detail = Self.readable(redactor.record(response.body, limit: 400))
        var refusal = [401, 403, 405].contains(response.status) && method == "PUT" ? " (the store refuses writes)" : ""
        if response.status == 500 && method == "PUT" { refusal = " (can the server write its store folder? see its error log)" }
        throw RemoteStoreError(
            .refused(status: response.status),
            "\(method) \(url(area, name)) answered HTTP \(response.status)\(refusal)\(detail.isEmpty ? "" : ": \(detail)")")
    }

    /// One request with its retries; an answer with a final status is returned, a lasting failure thrown.
    private func send(_ method: String, _ target: URL, body: Data?, limit: Int) async throws -> HTTPResponse {
        var headers = ["Accept-Encoding": "identity"]
        if let authorization = settings.authorization, RedirectPolicy.sameOrigin(target, settings.url) {
            headers["Authorization"] = authorization
        }
        if body != nil { headers["Content-Type"] = "application/octet-stream" }
        let request = HTTPRequest(method: method, url: target, headers: headers, body: body)
        var attempt = 0
        while true {
            attempt += 1
            sent.withLock { $0 += 1 }
            var failure: String
            var retryAfter: Double?
            do {
                let response = try await transport.send(request, into: .memory(limit: limit), timeout: policy.requestTimeout)
                guard RetryPolicy.retryableStatuses.contains(response.status) else { return response }
                if attempt >= policy.retry.maxAttempts { return response }
                failure = "HTTP \(response.status)"
                retryAfter = RetryAfter.parse(response.header("retry-after"))
            } catch let error as TransportError {
                failure = error.description
                if !error.mayHelpToRetry || attempt >= policy.retry.maxAttempts {
                    throw RemoteStoreError(
                        .unreachable,
                        redactor.redact("\(method) \(target) failed: \(failure) (after \(attempt) attempt\(attempt == 1 ? "" : "s"))"))
                }
            } catch is CancellationError {
                throw RemoteStoreError(.unreachable, "\(method) \(target): cancelled")
            } catch {
                throw RemoteStoreError(.unreachable, redactor.redact("\(method) \(target) failed: \(error)"))
            }
            let wait = policy.retry.delay(afterAttempt: attempt, unit: Double.random(in: 0..<1), retryAfter: retryAfter)
            guard wait <= policy.retry.longestHonouredWait else {
                throw RemoteStoreError(.unreachable, "\(method) \(target): \(failure); the store asked to wait \(Int(wait)) s")
            }
            try? await Task.sleep(for: .seconds(wait))
            if Task.isCancelled { throw RemoteStoreError(.unreachable, "\(method) \(target): cancelled") }
        }
    }
}
