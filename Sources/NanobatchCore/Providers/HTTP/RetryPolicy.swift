import Foundation

/// When and how long to wait before trying a request again. Data, so a manifest or test can change
/// it; the maths are pure functions.
///
/// Delay before attempt n+1 (no Retry-After), with `initial` 1 s, `multiplier` 2, `maximum` 60 s:
///
/// | failed attempt | base delay | with ±25 % jitter |
/// |---|---|---|
/// | 1 | 1 s | 0.75–1.25 s |
/// | 2 | 2 s | 1.5–2.5 s |
/// | 3 | 4 s | 3–5 s |
/// | 7+ | 60 s (cap) | 45–60 s |
package struct RetryPolicy: Sendable, Equatable {
    /// Requests of one kind (create, poll, download) per job, the first included.
    package var maxAttempts: Int
    package var initialDelay: Double
    package var multiplier: Double
    package var maximumDelay: Double
    /// Fraction of the delay drawn at random either side, so many jobs do not retry in step.
    package var jitter: Double
    /// A Retry-After longer than this is not waited for: the job fails with the provider's message.
    package var longestHonouredWait: Double
    /// Whether a create (POST) whose outcome is unknown is sent again: its request went out, but the
    /// connection died before the answer, or a 2xx answer came broken. The provider may have made (and
    /// charged for) it, so by default it is not: the job fails with `outcomeUnknown`. Creates that
    /// provably never left (`TransportError.notSent`) and answers with a retryable status are retried either way.
    package var resendsUnknownCreates: Bool

    package static let standard = RetryPolicy(
        maxAttempts: 4, initialDelay: 1, multiplier: 2, maximumDelay: 60, jitter: 0.25,
        longestHonouredWait: 300)

    package init(
        maxAttempts: Int, initialDelay: Double, multiplier: Double, maximumDelay: Double, jitter: Double,
        longestHonouredWait: Double, resendsUnknownCreates: Bool = false
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.jitter = min(max(jitter, 0), 1)
        self.longestHonouredWait = longestHonouredWait
        self.resendsUnknownCreates = resendsUnknownCreates
    }

    /// Appended to the message of a create that is not sent again because its outcome is unknown.
    package static let notSentAgain = "it may have been made and paid for; not sent again"

    /// HTTP statuses worth another try. 400, 401, 403, 404 never are.
    package static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// Seconds to wait after `attempt` (1-based) failed. `unit` is a random number in 0..<1.
    package func delay(afterAttempt attempt: Int, unit: Double, retryAfter: Double? = nil) -> Double {
        let exponent = Double(max(0, attempt - 1))
        let base = min(maximumDelay, initialDelay * pow(multiplier, exponent))
        let spread = base * jitter
        let jittered = min(maximumDelay, max(0, base - spread + 2 * spread * min(max(unit, 0), 1)))
        if let retryAfter, retryAfter > 0 { return max(retryAfter, jittered) }
        return jittered
    }

    /// Whether another attempt is allowed and fits before the deadline.
    package func shouldRetry(_ failure: ProviderFailure, attempt: Int, secondsLeft: Double, wait: Double) -> Bool {
        guard failure.retryable, !failure.stopsProvider, attempt < maxAttempts else { return false }
        if let asked = failure.retryAfter, asked > longestHonouredWait { return false }
        return wait < secondsLeft
    }
}

/// How often an async task is polled: starting at `initial` seconds, growing by `multiplier` to `maximum`.
package struct PollSchedule: Sendable, Equatable {
    package var initial: Double
    package var multiplier: Double
    package var maximum: Double

    package init(initial: Double, multiplier: Double = 1.5, maximum: Double = 30) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = max(initial, maximum)
    }

    /// The schedule when neither the manifest nor the dialect names a first wait.
    package static let standard = PollSchedule(initial: 2)

    /// Seconds to wait before poll `number` (1-based).
    package func interval(beforePoll number: Int) -> Double {
        min(maximum, initial * pow(multiplier, Double(max(0, number - 1))))
    }
}

/// Reads how long a provider asked us to wait.
package enum RetryAfter {
    /// `Retry-After` as delay-seconds or an HTTP-date.
    package static func parse(_ header: String?, now: Date = Date()) -> Double? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }

    /// Gemini's `RetryInfo.retryDelay` ("53s", "1.5s") from an error body's `details`.
    package static func googleRetryDelay(_ answer: JSONValue?) -> Double? {
        guard let details = answer?.at("error", "details")?.arrayValue else { return nil }
        for detail in details where (detail["@type"]?.stringValue ?? "").hasSuffix("google.rpc.RetryInfo") {
            guard var text = detail["retryDelay"]?.stringValue, text.hasSuffix("s") else { continue }
            text.removeLast()
            if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        }
        return nil
    }
}
