import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct EvolinkTranslatorTests {
    let redactor = Redactor(secrets: [])

    static let bodies = [
        CreateBodyCase(
            name: "ratio goes in size, no quality without a size", job: translatorJob(model: "nano-banana-beta", ratio: "9:16"),
            referenceURLs: [], body: #"{"model":"nano-banana-beta","prompt":"A red cube","size":"9:16"}"#),
        CreateBodyCase(
            name: "references in image_urls", job: translatorJob(model: "nano-banana-beta"),
            referenceURLs: ["https://r.example/a.png"],
            body: #"{"model":"nano-banana-beta","prompt":"A red cube","size":"1:1","image_urls":["https://r.example/a.png"]}"#),
    ]

    @Test(arguments: bodies)
    func createBody(_ testCase: CreateBodyCase) throws {
        #expect(
            EvolinkTranslator().createBody(for: testCase.job, referenceURLs: testCase.referenceURLs)
                == (try JSONParser.parse(testCase.body)))
    }

    @Test func callbackURLIsSentWhenSet() {
        let body = EvolinkTranslator(callbackURL: "https://hooks.example/x").createBody(for: translatorJob(), referenceURLs: [])
        #expect(body["callback_url"]?.stringValue == "https://hooks.example/x")
    }

    static let states = [
        TaskStateCase(
            name: "processing is running", answer: #"{"id":"t1","status":"processing","progress":40}"#, expected: .running("processing")),
        TaskStateCase(
            name: "completed with results", answer: #"{"status":"completed","results":["https://c.example/a.png"]}"#,
            expected: .succeeded(["https://c.example/a.png"])),
        TaskStateCase(
            name: "completed with result objects", answer: #"{"status":"succeeded","results":[{"url":"https://c.example/a.png"}]}"#,
            expected: .succeeded(["https://c.example/a.png"])),
        TaskStateCase(
            name: "retry-later code is retryable",
            answer: #"{"status":"failed","error":{"code":"service_error","message":"busy"}}"#,
            expected: .failed(containing: "task t1 failed: busy (the provider may succeed later)", code: "service_error", retryable: true)),
        TaskStateCase(
            name: "fix-and-resubmit code is final",
            answer: #"{"status":"failed","error":{"code":"content_policy_violation","message":"no"}}"#,
            expected: .failed(
                containing: "(change the request before submitting again)", code: "content_policy_violation", retryable: false)),
        TaskStateCase(
            name: "failed without a code is unknown_error", answer: #"{"status":"failed"}"#,
            expected: .failed(containing: "no reason given", code: "unknown_error", retryable: true)),
        TaskStateCase(
            name: "cancelled without a code", answer: #"{"status":"cancelled"}"#,
            expected: .failed(containing: "task t1 cancelled", code: "request_cancelled", retryable: false)),
    ]

    @Test(arguments: states)
    func taskState(_ testCase: TaskStateCase) throws {
        let state = EvolinkTranslator().taskState(try JSONParser.parse(testCase.answer), taskID: "t1", redactor: redactor)
        #expect(testCase.expected.mismatch(state) == nil, "\(testCase.expected.mismatch(state) ?? "")")
    }

    @Test func creditsReservedAreTheCostAndThePolicyResubmits() throws {
        let translator = EvolinkTranslator()
        let created = try JSONParser.parse(#"{"id":"t9","status":"pending","usage":{"credits_reserved":1.6}}"#)
        #expect(translator.taskID(inCreateAnswer: created) == "t9")
        #expect(translator.actualCost(job: translatorJob(), createAnswer: created, finalAnswer: .null) == 1.6)
        #expect(translator.actualCost(job: translatorJob(), createAnswer: nil, finalAnswer: created) == nil)
        #expect(translator.policy.costUnit == .credits)
        #expect(translator.policy.resubmitsFailedTasks)
        #expect(translator.pollEndpoint(taskID: "t9") == TaskEndpoint(path: "/v1/tasks/t9", what: "tasks/{id}"))
    }
}
