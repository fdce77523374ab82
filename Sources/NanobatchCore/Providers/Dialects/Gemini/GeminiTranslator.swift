import Foundation

/// Gemini's `generateContent` as data: the request body, and what an answer holds (the image, the
/// reason there is none, the token cost). Pure: the adapter fetches references and sends.
enum GeminiTranslator {
    /// Finish reasons that mean "no image, and asking again will not change that".
    static let blockingFinishReasons: Set<String> = [
        "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE", "SAFETY",
        "PROHIBITED_CONTENT", "RECITATION", "BLOCKLIST", "SPII", "OTHER", "LANGUAGE", "MALFORMED_FUNCTION_CALL",
    ]

    /// The API's name for a size: "512" for the 0.5K tier, otherwise as written (uppercase K).
    static func wireImageSize(_ size: String) -> String {
        size == "0.5K" ? "512" : size.uppercased()
    }

    /// The `generateContent` body: the prompt, then each reference inline, then the ratio and (when
    /// the job has one) the size.
    static func requestBody(job: Job, references: [ReferenceImage]) -> JSONValue {
        var parts: [JSONValue] = [["text": .string(job.promptText)]]
        for image in references {
            parts.append([
                "inline_data": [
                    "mime_type": .string(image.format.mimeType),
                    "data": .string(image.bytes.base64EncodedString()),
                ]
            ])
        }
        var imageConfig = JSONObject([("aspectRatio", .string(job.aspectRatio))])
        // gemini-2.5-flash-image takes no imageSize: its catalog entry lists none, so its jobs carry none.
        if let size = job.imageSize {
            imageConfig["imageSize"] = .string(GeminiTranslator.wireImageSize(size))
        }
        return [
            "contents": [["role": "user", "parts": .array(parts)]],
            "generationConfig": ["responseModalities": ["TEXT", "IMAGE"], "imageConfig": .object(imageConfig)],
        ]
    }

    /// Where a model's `generateContent` lives, below the base URL.
    static func path(model: String) -> String { "/v1beta/models/\(Endpoint.encode(model)):generateContent" }

    /// The base64 image of the first candidate that has one, or the failure that explains its absence.
    /// Parts marked `"thought": true` are a thinking model's interim images, never the result.
    static func image(in answer: JSONValue, redactor: Redactor) throws -> String {
        let candidates = answer["candidates"]?.arrayValue ?? []
        var interimImages = 0
        for candidate in candidates {
            for part in candidate.at("content", "parts")?.arrayValue ?? [] {
                let inline = part["inlineData"] ?? part["inline_data"]
                guard let data = inline?["data"]?.stringValue, !data.isEmpty else { continue }
                if part["thought"]?.boolValue == true {
                    interimImages += 1
                    continue
                }
                return data
            }
        }
        if interimImages > 0 {
            throw ProviderFailure("the answer holds only interim (thought) images, no final image")
        }
        if let reason = answer.at("promptFeedback", "blockReason")?.stringValue {
            let detail = answer.at("promptFeedback", "blockReasonMessage")?.stringValue.map { ": \($0)" } ?? ""
            throw ProviderFailure("the prompt was blocked (\(reason))\(detail); change the prompt", providerCode: reason)
        }
        guard let candidate = candidates.first else {
            throw ProviderFailure("the answer has no candidates and no image")
        }
        let reason = candidate["finishReason"]?.stringValue ?? "none"
        let said = (candidate.at("content", "parts")?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: " ")
        let text = said.isEmpty ? "" : "; the model said: \(redactor.redact(String(said.prefix(300))))"
        if blockingFinishReasons.contains(reason) {
            throw ProviderFailure("no image: finish reason \(reason)\(text)", providerCode: reason)
        }
        throw ProviderFailure("the answer has no image (finish reason \(reason))\(text)", providerCode: reason == "none" ? nil : reason)
    }

    /// USD from token counts: image output tokens at the image rate, other output at the text rate,
    /// prompt tokens at the input rate. `nil` when the model has no token prices in the table.
    static func cost(usage: JSONValue, model: String) -> Double? {
        guard let rates = GeminiDialect().model(model)?.tokenPrices else { return nil }
        let prompt = usage["promptTokenCount"]?.numberValue ?? 0
        let output = usage["candidatesTokenCount"]?.numberValue ?? 0
        let thoughts = usage["thoughtsTokenCount"]?.numberValue ?? 0
        var imageTokens = 0.0
        for detail in usage["candidatesTokensDetails"]?.arrayValue ?? [] where detail["modality"]?.stringValue == "IMAGE" {
            imageTokens += detail["tokenCount"]?.numberValue ?? 0
        }
        if usage["candidatesTokensDetails"] == nil { imageTokens = output }
        let textTokens = max(0, output - imageTokens) + thoughts
        let dollars = (prompt * rates.input + imageTokens * rates.imageOutput + textTokens * rates.textOutput) / 1_000_000
        return (dollars * 1_000_000).rounded() / 1_000_000
    }

    /// The job's note on token use: "tokens: prompt 10, output 1290".
    static func usageNote(_ usage: JSONValue) -> String {
        "tokens: prompt \(usage["promptTokenCount"]?.textValue ?? "?"), output \(usage["candidatesTokenCount"]?.textValue ?? "?")"
    }

    /// The answer with base64 image data shortened, for the job's record.
    static func withoutImageData(_ answer: JSONValue) -> JSONValue {
        switch answer {
        case .object(let object):
            var copy = JSONObject()
            for (key, value) in object.entries {
                if key == "data", case .string(let text) = value, text.count > 64 {
                    copy[key] = .string("<\(text.count) base64 characters>")
                } else {
                    copy[key] = withoutImageData(value)
                }
            }
            return .object(copy)
        case .array(let items): return .array(items.map(withoutImageData))
        default: return answer
        }
    }
}
