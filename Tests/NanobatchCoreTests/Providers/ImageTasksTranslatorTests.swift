import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ImageTasksTranslatorTests {
    let translator = ImageTasksTranslator()
    let redactor = Redactor(secrets: [])

    static let bodies = [
        CreateBodyCase(
            name: "text2image", job: translatorJob(model: "NanoBanana", format: .webp), referenceURLs: [],
            body:
                #"{"model":"NanoBanana","task_type":"text2image","prompt":"A red cube","aspect_ratio":"1:1","output_format":"webp","n":1,"response_format":"url"}"#
        ),
        CreateBodyCase(
            name: "image2image puts references in images", job: translatorJob(model: "NanoBanana2-1K", format: .jpeg),
            referenceURLs: ["https://r.example/a.png", "https://r.example/b.png"],
            body:
                #"{"model":"NanoBanana2-1K","task_type":"image2image","prompt":"A red cube","aspect_ratio":"1:1","output_format":"jpeg","n":1,"response_format":"url","images":["https://r.example/a.png","https://r.example/b.png"]}"#
        ),
    ]

    @Test(arguments: bodies)
    func createBody(_ testCase: CreateBodyCase) throws {
        #expect(translator.createBody(for: testCase.job, referenceURLs: testCase.referenceURLs) == (try JSONParser.parse(testCase.body)))
    }

    static let states = [
        TaskStateCase(
            name: "undocumented status is running", answer: #"{"code":"success","data":{"status":"queued","progress":"10%"}}"#,
            expected: .running("queued")),
        TaskStateCase(
            name: "succeeded with result_url",
            answer: #"{"code":"success","data":{"status":"succeeded","result_url":"https://c.example/a.png"}}"#,
            expected: .succeeded(["https://c.example/a.png"])),
        TaskStateCase(
            name: "result_urls after result_url",
            answer: #"{"data":{"status":"SUCCESS","result_url":"https://c.example/a.png","result_urls":["https://c.example/b.png"]}}"#,
            expected: .succeeded(["https://c.example/a.png", "https://c.example/b.png"])),
        TaskStateCase(
            name: "succeeded without a URL", answer: #"{"data":{"status":"succeeded"}}"#,
            expected: .failed(containing: "has no result_url", code: nil, retryable: false)),
        TaskStateCase(
            name: "timeout is final", answer: #"{"data":{"status":"timeout","error":{"code":"T","message":"too slow"}}}"#,
            expected: .failed(containing: "task t1 timeout: too slow", code: "T", retryable: false)),
        TaskStateCase(
            name: "error envelope", answer: #"{"code":"error","message":"no such task"}"#,
            expected: .failed(containing: "task t1: no such task", code: "error", retryable: false)),
    ]

    @Test(arguments: states)
    func taskState(_ testCase: TaskStateCase) throws {
        let state = translator.taskState(try JSONParser.parse(testCase.answer), taskID: "t1", redactor: redactor)
        #expect(testCase.expected.mismatch(state) == nil, "\(testCase.expected.mismatch(state) ?? "")")
    }

    @Test func createAnswerEnvelopeFailureAndTaskID() throws {
        let failed = try JSONParser.parse(#"{"code":"error","message":"bad model"}"#)
        #expect(translator.failure(inCreateAnswer: failed, redactor: redactor)?.message == "images/tasks: bad model")
        let created = try JSONParser.parse(#"{"code":"success","data":{"task_id":"u1","status":"pending"}}"#)
        #expect(translator.failure(inCreateAnswer: created, redactor: redactor) == nil)
        #expect(translator.taskID(inCreateAnswer: created) == "u1")
        #expect(translator.taskID(inCreateAnswer: try JSONParser.parse(#"{"id":"u2"}"#)) == "u2")
        #expect(
            translator.pollEndpoint(taskID: "a/b")
                == TaskEndpoint(path: "/v1/images/tasks/\(Endpoint.encode("a/b"))", what: "images/tasks/{id}"))
    }

    @Test func costIsUnitPriceTimesResultCount() throws {
        let job = translatorJob(unitPrice: 0.05)
        let three = try JSONParser.parse(#"{"data":{"metadata":{"result_count":3}}}"#)
        #expect(translator.actualCost(job: job, createAnswer: nil, finalAnswer: three) == 0.15000000000000002)
        #expect(translator.actualCost(job: job, createAnswer: nil, finalAnswer: .null) == 0.05)
        #expect(translator.actualCost(job: translatorJob(), createAnswer: nil, finalAnswer: three) == nil)
        #expect(ImageTasksTranslator.resultCount(try JSONParser.parse(#"{"data":{"metadata":{"result_count":500}}}"#)) == 1)
    }
}
