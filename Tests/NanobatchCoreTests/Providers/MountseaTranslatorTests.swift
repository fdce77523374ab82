import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct MountseaTranslatorTests {
    let translator = MountseaTranslator()
    let redactor = Redactor(secrets: ["sk-secret"])

    static let bodies = [
        CreateBodyCase(
            name: "text only: generate, no resolution", job: translatorJob(model: "nano-banana-fast", ratio: "16:9"), referenceURLs: [],
            body: #"{"prompt":"A red cube","action":"generate","model":"nano-banana-fast","aspect_ratio":"16:9","num_images":1}"#),
        CreateBodyCase(
            name: "references: edit with image_urls", job: translatorJob(model: "nano-banana-2", size: "2K"),
            referenceURLs: ["https://r.example/a.png"],
            body:
                #"{"prompt":"A red cube","action":"edit","model":"nano-banana-2","aspect_ratio":"1:1","num_images":1,"image_urls":["https://r.example/a.png"],"resolution":"2K"}"#
        ),
    ]

    @Test(arguments: bodies)
    func createBody(_ testCase: CreateBodyCase) throws {
        #expect(translator.createBody(for: testCase.job, referenceURLs: testCase.referenceURLs) == (try JSONParser.parse(testCase.body)))
    }

    static let states = [
        TaskStateCase(name: "pending is running", answer: #"{"taskId":"t","status":"PENDING"}"#, expected: .running("pending")),
        TaskStateCase(
            name: "completed with imageUrls first",
            answer: #"{"status":"completed","result":{"other":"https://c.example/b.png","imageUrls":["https://c.example/a.png"]}}"#,
            expected: .succeeded(["https://c.example/a.png", "https://c.example/b.png"])),
        TaskStateCase(
            name: "data envelope", answer: #"{"data":{"status":"success","result":{"url":"https://c.example/a.png"}}}"#,
            expected: .succeeded(["https://c.example/a.png"])),
        TaskStateCase(
            name: "completed without an image", answer: #"{"status":"completed","result":{}}"#,
            expected: .failed(containing: "no image URL was found", code: nil, retryable: false)),
        TaskStateCase(
            name: "failed with a code, secret redacted", answer: #"{"status":"failed","errorMessage":"bad sk-secret","errorCode":"E1"}"#,
            expected: .failed(containing: "task t1 failed: bad", code: "E1", retryable: false)),
        TaskStateCase(
            name: "no status", answer: #"{"taskId":"t"}"#,
            expected: .failed(containing: "the poll answer has no status", code: nil, retryable: false)),
    ]

    @Test(arguments: states)
    func taskState(_ testCase: TaskStateCase) throws {
        let state = translator.taskState(try JSONParser.parse(testCase.answer), taskID: "t1", redactor: redactor)
        #expect(testCase.expected.mismatch(state) == nil, "\(testCase.expected.mismatch(state) ?? "")")
        if case .failed(let failure) = state { #expect(!failure.description.contains("sk-secret")) }
    }

    @Test func taskIDAndEndpoints() throws {
        #expect(translator.taskID(inCreateAnswer: try JSONParser.parse(#"{"taskId":"a1"}"#)) == "a1")
        #expect(translator.taskID(inCreateAnswer: try JSONParser.parse(#"{"data":{"taskId":7}}"#)) == "7")
        #expect(translator.taskID(inCreateAnswer: try JSONParser.parse(#"{"id":"x"}"#)) == nil)
        #expect(translator.createEndpoint == TaskEndpoint(path: "/gemini/image/generate", what: "gemini/image/generate"))
        #expect(
            translator.pollEndpoint(taskID: "a1")
                == TaskEndpoint(path: "/gemini/task/result", query: [("taskId", "a1")], what: "gemini/task/result"))
        #expect(translator.actualCost(job: translatorJob(unitPrice: 1), createAnswer: nil, finalAnswer: .null) == nil)
    }
}
