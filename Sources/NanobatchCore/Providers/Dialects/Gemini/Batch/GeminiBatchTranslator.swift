import Foundation

/// The Gemini Batch API as data: request lines, the batch's display name, the create body, and what
/// batch, list and result answers hold. Pure: `GeminiBatchClient` sends, the runner decides.
package enum GeminiBatchTranslator {
    /// Batch prices are this fraction of the standard ones (Google's pricing page: 50 %).
    package static let batchPriceFactor = 0.5
    /// Display names of batches this tool made start with this.
    package static let displayNamePrefix = "nanobatch-"
    /// Hex digits of the keys' hash in a display name.
    static let displayNameHashDigits = 16

    // MARK: Requests

    /// One JSONL line (with its newline): `{"key": K, "request": <generateContent body>}`. References
    /// travel inline as base64 (uploaded files expire after 48 hours).
    package static func requestLine(key: String, job: Job, references: [ReferenceImage]) -> Data {
        let line: JSONValue = ["key": .string(key), "request": GeminiTranslator.requestBody(job: job, references: references)]
        var data = line.data()
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// The display name for a set of keys: `nanobatch-<first 16 hex of SHA-256 of the sorted keys>`.
    /// The same keys always give the same name, whatever their order: a batch made before a crash
    /// is found again by listing batches.
    package static func displayName<Keys: Sequence>(keys: Keys) -> String where Keys.Element == String {
        var hasher = SHA256Hasher()
        for key in Set(keys).sorted() {
            hasher.update(data: Data(key.utf8))
            hasher.update(data: Data([0x0A]))
        }
        return displayNamePrefix + String(hasher.finalize().hexString.prefix(displayNameHashDigits))
    }

    /// Where a model's batches are created, below the base URL.
    package static func createPath(model: String) -> String {
        "/v1beta/models/\(Endpoint.encode(model)):batchGenerateContent"
    }

    /// The create body for a JSONL file uploaded through the Files API.
    package static func createBody(displayName: String, fileName: String) -> JSONValue {
        ["batch": ["displayName": .string(displayName), "inputConfig": ["fileName": .string(fileName)]]]
    }

    /// `batches/{id}` or `files/{id}` split into its id, refusing anything else (ids are untrusted).
    package static func id(of name: String, kind: String) throws -> String {
        let prefix = kind + "/"
        let id = name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : ""
        guard !id.isEmpty, !id.contains("/"), id != ".", id != ".." else {
            throw ProviderFailure("\"\(String(name.prefix(120)))\" is not a \(kind)/… name")
        }
        return id
    }

    // MARK: Answers

    /// A batch operation (create, get, list item). Fields are read from `metadata` (operation) or the
    /// top level (a bare batch resource); results from `response` or `output`.
    package static func batch(from answer: JSONValue) throws -> GeminiBatch {
        let metadata = answer["metadata"] ?? answer
        guard let name = answer["name"]?.stringValue ?? metadata["name"]?.stringValue, name.hasPrefix("batches/") else {
            throw ProviderFailure("the batch answer has no batches/… name", rawAnswer: String(answer.serialized().prefix(500)))
        }
        let wireState = metadata["state"]?.stringValue ?? answer["state"]?.stringValue ?? ""
        let stats = metadata["batchStats"] ?? answer["batchStats"]
        let results = answer["response"] ?? answer["output"] ?? metadata["output"]
        let inlined = results?["inlinedResponses"]
        let error = answer["error"] ?? metadata["error"]
        return GeminiBatch(
            name: name, displayName: metadata["displayName"]?.stringValue ?? answer["displayName"]?.stringValue,
            model: metadata["model"]?.stringValue, state: GeminiBatchState(wire: wireState), wireState: wireState,
            stats: GeminiBatchStats(
                requests: count(stats?["requestCount"]), succeeded: count(stats?["successfulRequestCount"]),
                failed: count(stats?["failedRequestCount"]), pending: count(stats?["pendingRequestCount"])),
            done: answer["done"]?.boolValue ?? false, responsesFile: results?["responsesFile"]?.stringValue,
            inlinedResponses: inlined?["inlinedResponses"]?.arrayValue ?? inlined?.arrayValue ?? [],
            errorMessage: error.flatMap { $0["message"]?.stringValue ?? $0.stringValue })
    }

    /// One page of `GET /v1beta/batches`: its batches (`batches`, or `operations`) and the next page's token.
    package static func listPage(_ answer: JSONValue) throws -> (batches: [GeminiBatch], nextPageToken: String?) {
        let items = answer["batches"]?.arrayValue ?? answer["operations"]?.arrayValue ?? []
        let token = answer["nextPageToken"]?.stringValue
        // An item this version cannot read is skipped: it cannot be one of ours to adopt.
        return (items.compactMap { try? batch(from: $0) }, token?.isEmpty == false ? token : nil)
    }

    /// One result line: `{"key", "response"}` or `{"key", "error": {code, message}}`. A line without a
    /// key cannot be given to any job and throws.
    package static func resultLine(_ line: JSONValue, model: String, redactor: Redactor) throws -> GeminiBatchLine {
        guard let key = line["key"]?.stringValue ?? line.at("metadata", "key")?.stringValue else {
            throw ProviderFailure("a result line has no key", rawAnswer: redactor.redact(String(line.serialized().prefix(300))))
        }
        if let error = line["error"] {
            let code = error["code"]?.textValue
            let message = redactor.redact(error["message"]?.stringValue ?? "no error message")
            let failure = ProviderFailure("the batch request failed: \(message)", providerCode: code ?? error["status"]?.stringValue)
            return GeminiBatchLine(key: key, outcome: .failure(failure))
        }
        guard let response = line["response"] else {
            return GeminiBatchLine(key: key, outcome: .failure(ProviderFailure("the result line has neither response nor error")))
        }
        do {
            let image = try GeminiTranslator.image(in: response, redactor: redactor)
            let usage = response["usageMetadata"]
            let cost = usage.flatMap { batchCost(usage: $0, model: model) }
            return GeminiBatchLine(
                key: key, outcome: .image(base64: image, cost: cost, notes: usage.map { [GeminiTranslator.usageNote($0)] } ?? []))
        } catch var failure as ProviderFailure {
            if failure.rawAnswer == nil {
                failure.rawAnswer = redactor.record(GeminiTranslator.withoutImageData(response).data())
            }
            return GeminiBatchLine(key: key, outcome: .failure(failure))
        }
    }

    /// USD at the batch price: the standard token cost × `batchPriceFactor`.
    package static func batchCost(usage: JSONValue, model: String) -> Double? {
        guard let standard = GeminiTranslator.cost(usage: usage, model: model) else { return nil }
        return (standard * batchPriceFactor * 1_000_000).rounded() / 1_000_000
    }

    /// A count the API writes as a string ("12") or a number; 0 when absent or unreadable.
    static func count(_ value: JSONValue?) -> Int {
        if let text = value?.stringValue { return Int(text) ?? 0 }
        return value?.numberValue.map { Int($0) } ?? 0
    }
}
