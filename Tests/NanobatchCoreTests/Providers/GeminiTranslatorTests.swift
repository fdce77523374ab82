import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct GeminiTranslatorTests {
    let redactor = Redactor(secrets: ["AIza-secret"])

    struct SizeCase: CustomTestStringConvertible, Sendable {
        let size: String?
        let wire: String?
        var testDescription: String { size ?? "no size" }
    }

    static let sizes = [
        SizeCase(size: nil, wire: nil), SizeCase(size: "0.5K", wire: "512"), SizeCase(size: "1K", wire: "1K"),
        SizeCase(size: "4K", wire: "4K"),
    ]

    @Test(arguments: sizes)
    func imageConfigCarriesTheRatioAndTheWireSize(_ testCase: SizeCase) {
        let body = GeminiTranslator.requestBody(job: translatorJob(ratio: "16:9", size: testCase.size), references: [])
        let config = body.at("generationConfig", "imageConfig")
        #expect(config?["aspectRatio"]?.stringValue == "16:9")
        #expect(config?["imageSize"]?.stringValue == testCase.wire)
        #expect(body.at("generationConfig", "responseModalities") == ["TEXT", "IMAGE"])
    }

    @Test func referencesFollowThePromptInline() {
        let png = ReferenceImage(bytes: Data([1, 2, 3]), format: .png, filename: "a.png")
        let body = GeminiTranslator.requestBody(job: translatorJob(), references: [png])
        let parts = body.at("contents", 0, "parts")?.arrayValue ?? []
        #expect(parts.count == 2)
        #expect(parts.first?["text"]?.stringValue == "A red cube")
        #expect(parts.last?.at("inline_data", "mime_type")?.stringValue == "image/png")
        #expect(parts.last?.at("inline_data", "data")?.stringValue == "AQID")
        #expect(GeminiTranslator.path(model: "gemini-3-pro-image") == "/v1beta/models/gemini-3-pro-image:generateContent")
    }

    struct AnswerCase: CustomTestStringConvertible, Sendable {
        let name: String
        let answer: String
        /// The image data, or the failure's code and words.
        let image: String?
        let code: String?
        let words: String
        var testDescription: String { name }
    }

    static let answers = [
        AnswerCase(
            name: "inlineData after text",
            answer: #"{"candidates":[{"content":{"parts":[{"text":"hi"},{"inlineData":{"data":"iVBO"}}]}}]}"#,
            image: "iVBO", code: nil, words: ""),
        AnswerCase(
            name: "interim thought images skipped",
            answer:
                #"{"candidates":[{"content":{"parts":[{"inlineData":{"data":"dGhvdWdodA"},"thought":true},{"text":"done"},{"inlineData":{"data":"iVBO"}}]}}]}"#,
            image: "iVBO", code: nil, words: ""),
        AnswerCase(
            name: "only thought images",
            answer: #"{"candidates":[{"content":{"parts":[{"inlineData":{"data":"dGhvdWdodA"},"thought":true}]},"finishReason":"STOP"}]}"#,
            image: nil, code: nil, words: "only interim (thought) images"),
        AnswerCase(
            name: "snake_case inline_data", answer: #"{"candidates":[{"content":{"parts":[{"inline_data":{"data":"iVBO"}}]}}]}"#,
            image: "iVBO", code: nil, words: ""),
        AnswerCase(
            name: "blocked prompt", answer: #"{"promptFeedback":{"blockReason":"SAFETY","blockReasonMessage":"no"}}"#,
            image: nil, code: "SAFETY", words: "the prompt was blocked (SAFETY): no; change the prompt"),
        AnswerCase(
            name: "image safety finish reason",
            answer: #"{"candidates":[{"finishReason":"IMAGE_SAFETY","content":{"parts":[{"text":"key AIza-secret"}]}}]}"#,
            image: nil, code: "IMAGE_SAFETY", words: "no image: finish reason IMAGE_SAFETY; the model said: key"),
        AnswerCase(name: "no candidates", answer: #"{}"#, image: nil, code: nil, words: "the answer has no candidates and no image"),
        AnswerCase(
            name: "stopped without an image", answer: #"{"candidates":[{"finishReason":"STOP"}]}"#,
            image: nil, code: "STOP", words: "the answer has no image (finish reason STOP)"),
    ]

    @Test(arguments: answers)
    func imageOrTheReasonThereIsNone(_ testCase: AnswerCase) throws {
        let answer = try JSONParser.parse(testCase.answer)
        do {
            let image = try GeminiTranslator.image(in: answer, redactor: redactor)
            #expect(image == testCase.image)
        } catch let failure as ProviderFailure {
            #expect(testCase.image == nil, "unexpected failure \(failure)")
            #expect(failure.providerCode == testCase.code)
            #expect(failure.message.contains(testCase.words), "\(failure.message)")
            #expect(!failure.message.contains("AIza-secret"))
        }
    }

    @Test func tokenCostAndNote() throws {
        let usage = try JSONParser.parse(
            #"{"promptTokenCount":1000,"candidatesTokenCount":1290,"candidatesTokensDetails":[{"modality":"IMAGE","tokenCount":1120}]}"#)
        // 1000 × 2 + 1120 × 120 + 170 × 12 per million.
        #expect(GeminiTranslator.cost(usage: usage, model: "gemini-3-pro-image") == 0.13844)
        #expect(GeminiTranslator.cost(usage: usage, model: "gemini-3.1-flash-lite-image") == nil)
        #expect(GeminiTranslator.usageNote(usage) == "tokens: prompt 1000, output 1290")
    }

    @Test func longImageDataIsShortenedForTheRecord() throws {
        let data = String(repeating: "A", count: 100)
        let answer = try JSONParser.parse(#"{"candidates":[{"content":{"parts":[{"inlineData":{"data":"\#(data)"}}]}}]}"#)
        let shortened = GeminiTranslator.withoutImageData(answer)
        #expect(shortened.at("candidates", 0, "content", "parts", 0, "inlineData", "data")?.stringValue == "<100 base64 characters>")
    }
}
