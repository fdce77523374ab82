import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(1))) struct GeminiBatchTranslatorTests {
    let redactor = Redactor(secrets: ["secret-key-123"])

    @Test func aRequestLineIsTheKeyAndTheGenerateContentBodyWithReferencesInline() throws {
        let job = translatorJob(model: "gemini-3-pro-image", prompt: "A red cube", ratio: "16:9", size: "2K")
        let reference = ReferenceImage(bytes: smallPNG(seed: "r"), format: .png, filename: "r.png")
        let line = GeminiBatchTranslator.requestLine(key: "abc123", job: job, references: [reference])
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().firstIndex(of: UInt8(ascii: "\n")) == nil, "one line")
        let value = try JSONParser.parse(line)
        #expect(value.objectValue?.keys.sorted() == ["key", "request"])
        #expect(value["key"] == "abc123")
        #expect(value["request"] == GeminiTranslator.requestBody(job: job, references: [reference]))
        let inline = value.at("request", "contents", 0, "parts", 1, "inline_data", "data")?.stringValue
        #expect(inline.flatMap { Data(base64Encoded: $0) } == smallPNG(seed: "r"))
        #expect(!line.contains(Array("files/".utf8)), "references are never uploaded files")
    }

    @Test func theDisplayNameDependsOnTheSetOfKeysOnly() {
        let name = GeminiBatchTranslator.displayName(keys: ["b", "a", "c"])
        #expect(name == GeminiBatchTranslator.displayName(keys: ["c", "a", "b", "a"]))
        #expect(name != GeminiBatchTranslator.displayName(keys: ["a", "b"]))
        #expect(name != GeminiBatchTranslator.displayName(keys: ["ab", "c"]), "keys are separated before hashing")
        #expect(name.hasPrefix("nanobatch-"))
        let hex = name.dropFirst("nanobatch-".count)
        #expect(hex.count == 16 && hex.allSatisfy(\.isHexDigit))
    }

    @Test func theCreateBodyNamesTheUploadedFile() {
        let body = GeminiBatchTranslator.createBody(displayName: "nanobatch-0123", fileName: "files/abc")
        #expect(body.serialized() == #"{"batch":{"displayName":"nanobatch-0123","inputConfig":{"fileName":"files/abc"}}}"#)
        #expect(GeminiBatchTranslator.createPath(model: "gemini-3-pro-image") == "/v1beta/models/gemini-3-pro-image:batchGenerateContent")
    }

    @Test(arguments: [
        ("BATCH_STATE_PENDING", GeminiBatchState.pending), ("JOB_STATE_PENDING", .pending), ("BATCH_STATE_RUNNING", .running),
        ("JOB_STATE_RUNNING", .running), ("BATCH_STATE_SUCCEEDED", .succeeded), ("JOB_STATE_SUCCEEDED", .succeeded),
        ("BATCH_STATE_FAILED", .failed), ("JOB_STATE_FAILED", .failed), ("BATCH_STATE_CANCELLED", .cancelled),
        ("JOB_STATE_CANCELLED", .cancelled), ("BATCH_STATE_EXPIRED", .expired), ("JOB_STATE_EXPIRED", .expired),
        ("BATCH_STATE_UNSPECIFIED", .unknown), ("", .unknown), ("whatever", .unknown),
    ])
    func statesAreReadInBothSpellings(_ wire: String, _ expected: GeminiBatchState) {
        #expect(GeminiBatchState(wire: wire) == expected)
    }

    @Test func anOperationGivesNameStateCountsAndTheResultsFile() throws {
        let answer = try JSONParser.parse(
            Data(
                #"{"name":"batches/123","metadata":{"@type":"x","model":"models/gemini-3-pro-image","displayName":"nanobatch-1","state":"BATCH_STATE_SUCCEEDED","batchStats":{"requestCount":"5","successfulRequestCount":"4","failedRequestCount":"1"}},"done":true,"response":{"responsesFile":"files/out-1"}}"#
                    .utf8))
        let batch = try GeminiBatchTranslator.batch(from: answer)
        #expect(batch.name == "batches/123" && batch.displayName == "nanobatch-1" && batch.state == .succeeded)
        #expect(batch.stats == GeminiBatchStats(requests: 5, succeeded: 4, failed: 1, pending: 0))
        #expect(batch.done && batch.isFinished && batch.responsesFile == "files/out-1" && batch.errorMessage == nil)
    }

    @Test func inlinedResponsesErrorsAndBareResourcesAreRead() throws {
        let inline = try GeminiBatchTranslator.batch(
            from: JSONParser.parse(
                Data(
                    #"{"name":"batches/9","metadata":{"state":"JOB_STATE_SUCCEEDED","batchStats":{"requestCount":2}},"done":true,"response":{"inlinedResponses":{"inlinedResponses":[{"metadata":{"key":"a"},"response":{}},{"metadata":{"key":"b"},"error":{"code":3}}]}}}"#
                        .utf8)))
        #expect(inline.inlinedResponses.count == 2 && inline.stats.requests == 2 && inline.responsesFile == nil)
        let failed = try GeminiBatchTranslator.batch(
            from: JSONParser.parse(
                Data(
                    #"{"name":"batches/8","metadata":{"state":"BATCH_STATE_FAILED"},"done":true,"error":{"code":13,"message":"quota"}}"#
                        .utf8)))
        #expect(failed.state == .failed && failed.errorMessage == "quota")
        let bare = try GeminiBatchTranslator.batch(
            from: JSONParser.parse(
                Data(#"{"name":"batches/7","displayName":"d","state":"BATCH_STATE_RUNNING","output":{"responsesFile":"files/r"}}"#.utf8)))
        #expect(bare.state == .running && bare.displayName == "d" && bare.responsesFile == "files/r" && !bare.isFinished)
        #expect(throws: ProviderFailure.self) {
            try GeminiBatchTranslator.batch(from: JSONParser.parse(Data(#"{"name":"operations/1"}"#.utf8)))
        }
    }

    @Test func aListPageGivesItsBatchesAndTheNextToken() throws {
        let page = try GeminiBatchTranslator.listPage(
            JSONParser.parse(
                Data(#"{"batches":[{"name":"batches/1","metadata":{"state":"BATCH_STATE_PENDING"}}],"nextPageToken":"t2"}"#.utf8)))
        #expect(page.batches.map(\.name) == ["batches/1"] && page.nextPageToken == "t2")
        let last = try GeminiBatchTranslator.listPage(
            JSONParser.parse(Data(#"{"operations":[{"name":"batches/2"}],"nextPageToken":""}"#.utf8)))
        #expect(last.batches.map(\.name) == ["batches/2"] && last.nextPageToken == nil)
        #expect(try GeminiBatchTranslator.listPage(JSONParser.parse(Data("{}".utf8))).batches.isEmpty)
    }

    @Test func aResultLineGivesTheFinalImageNotTheThoughtAndTheHalfPriceCost() throws {
        let final = smallPNG(seed: "final").base64EncodedString()
        let interim = smallPNG(seed: "interim").base64EncodedString()
        let usage =
            #"{"promptTokenCount":1000,"candidatesTokenCount":1300,"candidatesTokensDetails":[{"modality":"TEXT","tokenCount":10},{"modality":"IMAGE","tokenCount":1290}]}"#
        let line = try JSONParser.parse(
            Data(
                #"{"key":"k1","response":{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"\#(interim)"},"thought":true},{"text":"ok"},{"inlineData":{"mimeType":"image/png","data":"\#(final)"}}]},"finishReason":"STOP"}],"usageMetadata":\#(usage)}}"#
                    .utf8))
        let result = try GeminiBatchTranslator.resultLine(line, model: "gemini-3-pro-image", redactor: redactor)
        #expect(result.key == "k1")
        guard case .image(let base64, let cost, let notes) = result.outcome else {
            Issue.record("expected an image, got \(result.outcome)")
            return
        }
        #expect(base64 == final)
        let standard = try #require(GeminiTranslator.cost(usage: JSONParser.parse(Data(usage.utf8)), model: "gemini-3-pro-image"))
        #expect(GeminiBatchTranslator.batchPriceFactor == 0.5)
        #expect(cost.map { abs($0 - standard / 2) < 1e-6 } == true, "\(String(describing: cost)) vs \(standard)")
        #expect(notes == ["tokens: prompt 1000, output 1300"])
    }

    @Test func failedLinesAreThatKeysFailure() throws {
        let cases: [(String, String)] = [
            (
                #"{"key":"k2","error":{"code":400,"message":"bad request secret-key-123"}}"#,
                "the batch request failed: bad request [redacted"
            ),
            (#"{"key":"k3","response":{"promptFeedback":{"blockReason":"SAFETY"}}}"#, "the prompt was blocked (SAFETY)"),
            (
                #"{"key":"k4","response":{"candidates":[{"content":{"parts":[{"inlineData":{"data":"AAAA"},"thought":true}]}}]}}"#,
                "only interim (thought) images"
            ),
            (#"{"key":"k5"}"#, "neither response nor error"),
        ]
        for (text, expected) in cases {
            let result = try GeminiBatchTranslator.resultLine(
                JSONParser.parse(Data(text.utf8)), model: "gemini-3-pro-image", redactor: redactor)
            guard case .failure(let failure) = result.outcome else {
                Issue.record("\(text): expected a failure")
                continue
            }
            #expect(failure.message.contains(expected), "\(failure.message)")
            #expect(!failure.message.contains("secret-key-123"))
        }
        // Inline input's answers (`inlinedResponses` items) carry the key in `metadata`.
        let inline = try GeminiBatchTranslator.resultLine(
            JSONParser.parse(Data(#"{"metadata":{"key":"k6"},"error":{"code":3,"message":"bad"}}"#.utf8)), model: "m", redactor: redactor)
        #expect(inline.key == "k6")
        #expect(throws: ProviderFailure.self) {
            try GeminiBatchTranslator.resultLine(JSONParser.parse(Data(#"{"response":{}}"#.utf8)), model: "m", redactor: redactor)
        }
    }

    @Test func namesFromTheProviderCannotStepToAnotherPath() throws {
        #expect(try GeminiBatchTranslator.id(of: "batches/abc-1", kind: "batches") == "abc-1")
        for bad in ["batches/", "batches/../x", "batches/..", "files/abc", "abc", "batches/a/b"] {
            #expect(throws: ProviderFailure.self, "\(bad)") { try GeminiBatchTranslator.id(of: bad, kind: "batches") }
        }
    }
}
