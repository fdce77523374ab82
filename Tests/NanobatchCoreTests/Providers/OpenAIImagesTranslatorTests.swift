import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct OpenAIImagesTranslatorTests {
    struct RouteCase: CustomTestStringConvertible, Sendable {
        let name: String
        let references: [Reference]
        let route: OpenAIImagesTranslator.Route
        var testDescription: String { name }
    }

    static let file = Reference.file(path: "/tmp/a.png", written: "a.png")
    static let url = Reference.url("https://r.example/a.png")
    static let routes = [
        RouteCase(name: "text only", references: [], route: .generations),
        RouteCase(name: "URLs", references: [url], route: .generations),
        RouteCase(name: "files only", references: [file, file], route: .edits),
        RouteCase(name: "files mixed with URLs", references: [file, url], route: .generations),
    ]

    @Test(arguments: routes)
    func localFilesOnlyGoToEdits(_ testCase: RouteCase) {
        #expect(OpenAIImagesTranslator.route(for: testCase.references) == testCase.route)
    }

    static let bodies = [
        CreateBodyCase(
            name: "no size, no references", job: translatorJob(model: "nano-banana"), referenceURLs: [],
            body: #"{"model":"nano-banana","prompt":"A red cube","response_format":"url","aspect_ratio":"1:1"}"#),
        CreateBodyCase(
            name: "size and images", job: translatorJob(model: "nano-banana-2", size: "2K"),
            referenceURLs: ["https://r.example/a.png", "data:image/png;base64,AQID"],
            body:
                #"{"model":"nano-banana-2","prompt":"A red cube","response_format":"url","aspect_ratio":"1:1","image":["https://r.example/a.png","data:image/png;base64,AQID"],"image_size":"2K"}"#
        ),
    ]

    @Test(arguments: bodies)
    func generationsBody(_ testCase: CreateBodyCase) throws {
        let body = OpenAIImagesTranslator.generationsBody(job: testCase.job, responseFormat: "url", images: testCase.referenceURLs)
        #expect(body == (try JSONParser.parse(testCase.body)))
    }

    @Test func editsFormHasTheFieldsThenOnePartPerFile() {
        let image = ReferenceImage(bytes: Data([1, 2, 3]), format: .png, filename: "a.png")
        let form = OpenAIImagesTranslator.editsForm(
            job: translatorJob(size: "1K"), responseFormat: "b64_json", files: [image, image],
            into: MultipartBody(boundary: "b"))
        let text = String(decoding: form.finished(), as: UTF8.self)
        for field in [
            "\"model\"", "\"prompt\"", "\"response_format\"", "\"aspect_ratio\"", "\"image_size\"", "filename=\"1-a.png\"",
            "filename=\"2-a.png\"",
        ] {
            #expect(text.contains(field), "\(field)")
        }
        #expect(OpenAIImagesTranslator.dataURL(image) == "data:image/png;base64,AQID")
    }

    struct LocationCase: CustomTestStringConvertible, Sendable {
        let name: String
        let answer: String
        let location: OpenAIImagesTranslator.Location?
        var testDescription: String { name }
    }

    static let locations = [
        LocationCase(name: "url", answer: #"{"data":[{"url":"https://c.example/a.png"}]}"#, location: .location("https://c.example/a.png")),
        LocationCase(
            name: "b64_json first", answer: #"{"data":[{"b64_json":"AQID","url":"https://c.example/a.png"}]}"#, location: .base64("AQID")),
        LocationCase(
            name: "markdown image in chat text",
            answer: #"{"choices":[{"message":{"content":"here ![img](https://c.example/b.png)"}}]}"#,
            location: .location("https://c.example/b.png")),
        LocationCase(name: "nothing", answer: #"{"data":[]}"#, location: nil),
    ]

    @Test(arguments: locations)
    func resultLocation(_ testCase: LocationCase) throws {
        #expect(OpenAIImagesTranslator.resultLocation(try JSONParser.parse(testCase.answer)) == testCase.location)
    }
}
