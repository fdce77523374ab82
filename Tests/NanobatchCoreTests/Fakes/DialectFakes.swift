import Foundation
import LoopbackHTTP

@testable import NanobatchCore

/// One fake per dialect, each checking requests against its seed document and answering as documented.
enum DialectFakes {
    static let standardRatios = ["4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "1:1", "4:5", "5:4", "21:9"]
    static let extraRatios = ["1:4", "4:1", "1:8", "8:1"]

    // MARK: openai-images (seeds 000, 001)

    static let openAIModels = ["nano-banana", "nano-banana-hd", "nano-banana-2"]

    static func openAIImages(responseStyle: String = "as-asked") throws -> FakeAPI {
        try FakeAPI { fake, request in openAIImagesRoute(fake, request, responseStyle: responseStyle) }
    }

    static func openAIImagesRoute(_ fake: FakeAPI, _ request: ReceivedRequest, responseStyle: String = "as-asked") -> ServerReply {
        guard request.method == "POST" else { return .json("{}", status: 405) }
        guard fake.checkBearer(request) else {
            return FakeAPI.openAIError(401, code: "invalid_api_key", message: "Invalid token", type: "authentication_error")
        }
        let fields: [String: String]
        var images: [JSONValue] = []
        switch request.path {
        case fake.prefix + "/v1/images/generations":
            fake.require(request.headers["content-type"]?.hasPrefix("application/json") == true, "Content-Type must be JSON", request)
            guard let body = fake.json(request) else { return FakeAPI.openAIError(400, code: "invalid_json", message: "bad JSON") }
            fake.checkKeys(
                body, allowed: ["model", "prompt", "response_format", "aspect_ratio", "image", "image_size"],
                required: ["model", "prompt"], request)
            if let image = body["image"] {
                let items = image.arrayValue ?? []
                fake.require(image.arrayValue != nil && !items.isEmpty, "image must be a non-empty array", request)
                for item in items {
                    let text = item.stringValue ?? ""
                    fake.require(
                        FakeAPI.isHTTPURL(item) || text.hasPrefix("data:image/") || ResultDecoder.base64(text) != nil,
                        "image items must be URLs or base64", request)
                }
                images = items
            }
            var flat: [String: String] = [:]
            for (key, value) in body.entries { if let text = value.stringValue { flat[key] = text } }
            fields = flat
        case fake.prefix + "/v1/images/edits":
            guard let boundary = request.headers["content-type"].flatMap(MultipartParser.boundary(fromContentType:)),
                request.headers["content-type"]?.hasPrefix("multipart/form-data") == true,
                let parts = MultipartParser.parse(request.body, boundary: boundary)
            else {
                fake.violation("edits needs a well-formed multipart/form-data body", request)
                return FakeAPI.openAIError(400, code: "invalid_multipart", message: "bad multipart")
            }
            var flat: [String: String] = [:]
            for part in parts {
                switch part.name {
                case "image":
                    fake.require(part.filename != nil, "image parts must be files", request)
                    fake.require(ImageInspector.inspect([UInt8](part.data)) != nil, "image part is not an image", request)
                    fake.require(part.contentType?.hasPrefix("image/") == true, "image part needs an image Content-Type", request)
                    images.append(.string("file"))
                case "model", "prompt", "response_format", "aspect_ratio", "image_size":
                    fake.require(part.filename == nil, "\(part.name) must be a plain field", request)
                    fake.require(flat[part.name] == nil, "\(part.name) sent twice", request)
                    flat[part.name] = String(decoding: part.data, as: UTF8.self)
                default:
                    fake.violation("undocumented form field \"\(part.name)\"", request)
                }
            }
            for key in ["model", "prompt"] where flat[key] == nil { fake.violation("missing required field \"\(key)\"", request) }
            fake.require(!images.isEmpty, "edits requires at least one image file", request)
            fields = flat
        default:
            fake.violation("undocumented endpoint", request)
            return .json(#"{"error":{"message":"not found"}}"#, status: 404)
        }
        let model = fields["model"] ?? ""
        fake.require(openAIModels.contains(model), "unknown model \(model)", request)
        if let format = fields["response_format"] { fake.require(["url", "b64_json"].contains(format), "bad response_format", request) }
        let ratio = fields["aspect_ratio"] ?? "1:1"
        fake.require(standardRatios.contains(ratio), "aspect_ratio \(ratio) is not documented", request)
        if let size = fields["image_size"] {
            fake.require(["1K", "2K", "4K"].contains(size), "bad image_size \(size)", request)
            fake.require(model == "nano-banana-2", "image_size is only for nano-banana-2 (sent for \(model))", request)
        }
        let prompt = fields["prompt"] ?? ""
        if prompt.contains("[unknown-shape]") {
            return .json(#"{"created":1,"result":{"status":"ok","echo":"Authorization: Bearer \#(fake.key)"}}"#)
        }
        let bytes = fake.imageBytes(ratio: ratio)
        let style = responseStyle == "as-asked" ? (fields["response_format"] ?? "url") : responseStyle
        let item: String
        switch style {
        case "b64_json": item = #"{"b64_json":"\#(bytes.base64EncodedString())"}"#
        case "data-url": item = #"{"url":"data:image/png;base64,\#(bytes.base64EncodedString())"}"#
        default: item = #"{"url":"\#(fake.hostImage(ratio: ratio))","revised_prompt":"\#(prompt.prefix(20))"}"#
        }
        return .json(#"{"created":1757165031,"data":[\#(item)]}"#)
    }

    // MARK: mountsea (seed 002)

    static func mountsea() throws -> FakeAPI {
        try FakeAPI { fake, request in
            guard fake.checkBearer(request) else { return .json(#"{"statusCode":401,"message":"Unauthorized"}"#, status: 401) }
            switch (request.method, request.path) {
            case ("POST", fake.prefix + "/gemini/image/generate"):
                guard let body = fake.json(request) else { return .json(#"{"message":"bad JSON"}"#, status: 400) }
                fake.checkKeys(
                    body, allowed: ["prompt", "action", "num_images", "image_urls", "aspect_ratio", "model", "resolution"],
                    required: ["prompt", "action"], request)
                fake.checkEnum(body, "action", ["edit", "generate"], request)
                fake.checkEnum(body, "model", ["nano-banana-fast", "nano-banana-pro", "nano-banana-2"], request)
                let model = body["model"]?.stringValue ?? "nano-banana-fast"
                if let count = body["num_images"] { fake.require(count == 1, "num_images must be 1", request) }
                let ratio = body["aspect_ratio"]?.stringValue ?? "1:1"
                let allowedRatios = model == "nano-banana-2" ? standardRatios + extraRatios : standardRatios
                fake.require(allowedRatios.contains(ratio), "aspect_ratio \(ratio) is not offered by \(model)", request)
                if body["resolution"] != nil {
                    fake.checkEnum(body, "resolution", ["1K", "2K", "4K"], request)
                    fake.require(model != "nano-banana-fast", "resolution is only valid for nano-banana-pro and nano-banana-2", request)
                }
                let urls = body["image_urls"]?.arrayValue
                if body["image_urls"] != nil {
                    fake.require(urls != nil && urls!.allSatisfy(FakeAPI.isHTTPURL), "image_urls must be http(s) URLs", request)
                }
                if body["action"] == "edit" {
                    fake.require(!(urls ?? []).isEmpty, "action edit requires image_urls", request)
                }
                let id = fake.createTask(
                    ratio: ratio, outcome: fake.outcome(for: body["prompt"]?.stringValue ?? ""),
                    prompt: body["prompt"]?.stringValue ?? "")
                return .json(#"{"taskId":"\#(id)"}"#, status: 201)
            case ("GET", fake.prefix + "/gemini/task/result"):
                guard let id = request.query["taskId"], let task = fake.poll(id) else {
                    fake.violation("poll for an unknown task", request)
                    return .json(#"{"statusCode":404,"message":"task not found"}"#, status: 404)
                }
                let statuses = ["pending", "ready", "assigned", "processing"]
                if task.polls <= fake.pollsBeforeDone {
                    return .json(#"{"taskId":"\#(id)","status":"\#(statuses[min(task.polls - 1, 3)])","createdAt":"2026-11-21T10:00:00Z"}"#)
                }
                switch task.outcome {
                case .succeed:
                    return .json(
                        #"{"taskId":"\#(id)","status":"completed","result":{"imageUrls":["\#(fake.hostImage(ratio: task.ratio))"]},"finishedAt":"2026-11-21T10:00:09Z","traceId":"t-1"}"#
                    )
                case .fail(let code, let message):
                    return .json(#"{"taskId":"\#(id)","status":"failed","errorCode":"\#(code)","errorMessage":"\#(message)"}"#)
                case .neverFinish:
                    return .json(#"{"taskId":"\#(id)","status":"processing"}"#)
                }
            default:
                fake.violation("undocumented endpoint", request)
                return .json(#"{"message":"not found"}"#, status: 404)
            }
        }
    }

    // MARK: image-tasks (seed 003)

    static let imageTaskModels = [
        "NanoBanana", "NanoBanana2-0.5K", "NanoBanana2-1K", "NanoBanana2-2K", "NanoBanana2-4K",
        "NanoBananaPro-1K", "NanoBananaPro-2K", "NanoBananaPro-4K", "NanoBananaPro-8K",
    ]

    static func imageTasks() throws -> FakeAPI {
        try FakeAPI { fake, request in
            guard fake.checkBearer(request) else { return .json(#"{"code":"error","message":"invalid token"}"#, status: 401) }
            if request.method == "POST", request.path == fake.prefix + "/v1/images/tasks" {
                guard let body = fake.json(request) else { return .json(#"{"code":"error","message":"bad JSON"}"#, status: 400) }
                fake.checkKeys(
                    body,
                    allowed: [
                        "model", "prompt", "task_type", "image", "images", "aspect_ratio", "output_format", "n",
                        "response_format",
                    ], required: ["model", "prompt"], request)
                let model = body["model"]?.stringValue ?? ""
                fake.require(imageTaskModels.contains(model), "model \(model) is not enabled", request)
                fake.checkEnum(body, "task_type", ["text2image", "image2image"], request)
                fake.require(!(body["image"] != nil && body["images"] != nil), "image and images must not be mixed", request)
                if let images = body["images"] {
                    fake.require(images.arrayValue?.allSatisfy(FakeAPI.isHTTPURL) == true, "images must be URLs", request)
                    fake.require(body["task_type"] == nil || body["task_type"] == "image2image", "images with text2image", request)
                }
                let formats = model == "NanoBanana" ? ["png", "jpeg", "webp"] : ["png", "jpeg"]
                fake.checkEnum(body, "output_format", formats, request)
                if let n = body["n"] { fake.require((n.numberValue ?? 0) >= 1, "n must be a positive integer", request) }
                let ratio = body["aspect_ratio"]?.stringValue ?? "1:1"
                let id = fake.createTask(
                    ratio: ratio, outcome: fake.outcome(for: body["prompt"]?.stringValue ?? ""),
                    prompt: body["prompt"]?.stringValue ?? "")
                return .json(#"{"code":"success","message":"","data":{"task_id":"\#(id)","status":"queued"}}"#)
            }
            let taskPath = fake.prefix + "/v1/images/tasks/"
            if request.method == "GET", request.path.hasPrefix(taskPath) {
                let id = String(request.path.dropFirst(taskPath.count))
                guard let task = fake.poll(id) else {
                    fake.violation("poll for an unknown task", request)
                    return .json(#"{"code":"error","message":"task not found"}"#, status: 404)
                }
                // Statuses the document never names: the adapter must treat them as running.
                let running = ["queued", "in_progress", "Rendering"]
                if task.polls <= fake.pollsBeforeDone {
                    return .json(
                        #"{"code":"success","message":"","data":{"task_id":"\#(id)","status":"\#(running[min(task.polls - 1, 2)])","progress":"\#(task.polls * 30)%","result_url":null,"error":null}}"#
                    )
                }
                switch task.outcome {
                case .succeed:
                    return .json(
                        #"{"code":"success","message":"","data":{"task_id":"\#(id)","status":"succeeded","progress":"100%","result_url":"\#(fake.hostImage(ratio: task.ratio))","metadata":{"task_type":"text2image","result_count":1},"error":null}}"#
                    )
                case .fail(let code, let message):
                    return .json(
                        #"{"code":"success","message":"","data":{"task_id":"\#(id)","status":"FAILED","progress":"100%","result_url":null,"error":{"code":"\#(code)","message":"\#(message)"}}}"#
                    )
                case .neverFinish:
                    return .json(#"{"code":"success","message":"","data":{"task_id":"\#(id)","status":"processing","progress":"50%"}}"#)
                }
            }
            fake.violation("undocumented endpoint", request)
            return .json(#"{"code":"error","message":"not found"}"#, status: 404)
        }
    }

    // MARK: evolink (seed 004)

    static func evolink() throws -> FakeAPI {
        try FakeAPI { fake, request in
            guard fake.checkBearer(request) else {
                return FakeAPI.openAIError(401, code: "unauthorized", message: "Invalid or expired token", type: "authentication_error")
            }
            if request.method == "POST", request.path == fake.prefix + "/v1/images/generations" {
                guard let body = fake.json(request) else { return FakeAPI.openAIError(400, code: "invalid_request", message: "bad JSON") }
                fake.checkKeys(
                    body, allowed: ["model", "prompt", "size", "image_urls", "callback_url", "quality"],
                    required: ["model", "prompt"], request)
                let model = body["model"]?.stringValue ?? ""
                guard fake.require(["nano-banana-beta", "gemini-2.5-flash-image"].contains(model), "unknown model \(model)", request) else {
                    return FakeAPI.openAIError(403, code: "model_access_denied", message: "Token does not have access to model: \(model)")
                }
                let prompt = body["prompt"]?.stringValue ?? ""
                fake.require(prompt.count <= (model == "gemini-2.5-flash-image" ? 1000 : 2000), "prompt too long", request)
                fake.checkEnum(body, "size", ["auto", "1:1", "2:3", "3:2", "4:3", "3:4", "16:9", "9:16"], request)
                if let urls = body["image_urls"] {
                    let items = urls.arrayValue ?? []
                    fake.require(items.count <= 5 && items.allSatisfy(FakeAPI.isHTTPURL), "image_urls: at most 5 URLs", request)
                }
                if let callback = body["callback_url"]?.stringValue {
                    fake.require(
                        callback.hasPrefix("https://") && callback.count <= 2048 && CallbackURLCheck.problem(callback) == nil,
                        "callback_url must be a public https URL", request)
                }
                let ratio = body["size"]?.stringValue ?? "1:1"
                let id = fake.createTask(ratio: ratio == "auto" ? "1:1" : ratio, outcome: fake.outcome(for: prompt))
                return .json(evolinkTask(id: id, status: "pending", progress: 0, extra: ""))
            }
            let taskPath = fake.prefix + "/v1/tasks/"
            if request.method == "GET", request.path.hasPrefix(taskPath) {
                let id = String(request.path.dropFirst(taskPath.count))
                guard let task = fake.poll(id) else {
                    fake.violation("poll for an unknown task", request)
                    return FakeAPI.openAIError(404, code: "resource_not_found", message: "task not found")
                }
                if task.polls <= fake.pollsBeforeDone {
                    return .json(
                        evolinkTask(id: id, status: task.polls == 1 ? "pending" : "processing", progress: task.polls * 40, extra: ""))
                }
                switch task.outcome {
                case .succeed:
                    return .json(
                        evolinkTask(
                            id: id, status: "completed", progress: 100,
                            extra: #","results":["\#(fake.hostImage(ratio: task.ratio))"]"#))
                case .fail(let code, let message):
                    return .json(
                        evolinkTask(
                            id: id, status: "failed", progress: 100,
                            extra: #","error":{"code":"\#(code)","message":"\#(message)"}"#))
                case .neverFinish:
                    return .json(evolinkTask(id: id, status: "processing", progress: 50, extra: ""))
                }
            }
            fake.violation("undocumented endpoint", request)
            return FakeAPI.openAIError(404, code: "not_found", message: "not found")
        }
    }

    static func evolinkTask(id: String, status: String, progress: Int, extra: String) -> String {
        #"{"created":1757165031,"id":"\#(id)","model":"nano-banana-beta","object":"image.generation.task","progress":\#(progress),"status":"\#(status)","task_info":{"can_cancel":true,"estimated_time":45},"type":"image","usage":{"billing_rule":"per_call","credits_reserved":1.6,"user_group":"default"}\#(extra)}"#
    }

    // MARK: gemini (official API)

    /// What one served Gemini model accepts (Google's model pages); shut-down ids are not served: 404.
    struct GeminiModelRule: Sendable {
        let ratios: [String]
        let sizes: [String]
        let maxReferences: Int
    }

    static let geminiModels: [String: GeminiModelRule] = [
        "gemini-3-pro-image": GeminiModelRule(ratios: standardRatios, sizes: ["1K", "2K", "4K"], maxReferences: 14),
        "gemini-3.1-flash-image": GeminiModelRule(
            ratios: standardRatios + extraRatios, sizes: ["512", "1K", "2K", "4K"], maxReferences: 14),
        "gemini-3.1-flash-lite-image": GeminiModelRule(ratios: standardRatios + extraRatios, sizes: ["1K"], maxReferences: 14),
    ]

    static func gemini() throws -> FakeAPI {
        try FakeAPI { fake, request in
            let modelsPath = fake.prefix + "/v1beta/models/"
            guard request.method == "POST", request.path.hasPrefix(modelsPath), request.path.hasSuffix(":generateContent") else {
                fake.violation("undocumented endpoint", request)
                return FakeAPI.googleError(404, state: "NOT_FOUND", message: "not found")
            }
            fake.require(request.headers["authorization"] == nil, "the key goes in x-goog-api-key, not Authorization", request)
            guard request.headers["x-goog-api-key"] == fake.key else {
                return FakeAPI.googleError(403, state: "PERMISSION_DENIED", message: "API key not valid. Please pass a valid API key.")
            }
            let model = String(request.path.dropFirst(modelsPath.count).dropLast(":generateContent".count))
            guard let rule = geminiModels[model] else {
                fake.violation("unknown model \(model)", request)
                return FakeAPI.googleError(404, state: "NOT_FOUND", message: "models/\(model) is not found")
            }
            guard let body = fake.json(request) else { return FakeAPI.googleError(400, state: "INVALID_ARGUMENT", message: "bad JSON") }
            fake.checkKeys(body, allowed: ["contents", "generationConfig"], required: ["contents"], request)
            var prompt = ""
            var images = 0
            let contents = body["contents"]?.arrayValue ?? []
            fake.require(!contents.isEmpty, "contents must not be empty", request)
            for content in contents {
                for part in content["parts"]?.arrayValue ?? [] {
                    if let text = part["text"]?.stringValue {
                        prompt += text
                        continue
                    }
                    guard let inline = part["inline_data"] ?? part["inlineData"] else {
                        fake.violation("a part is neither text nor inline_data", request)
                        continue
                    }
                    images += 1
                    let mime = (inline["mime_type"] ?? inline["mimeType"])?.stringValue ?? ""
                    fake.require(["image/png", "image/jpeg", "image/webp"].contains(mime), "inline_data mime_type \(mime)", request)
                    let bytes = (inline["data"]?.stringValue).flatMap { Data(base64Encoded: $0) }
                    fake.require(
                        bytes.map { ImageInspector.inspect([UInt8]($0)) != nil } == true, "inline_data is not a base64 image", request)
                }
            }
            let config = body["generationConfig"]
            let modalities = config?["responseModalities"]?.arrayValue?.compactMap(\.stringValue) ?? []
            fake.require(modalities.contains("IMAGE"), "responseModalities must include IMAGE", request)
            let imageConfig = config?["imageConfig"]
            let ratio = imageConfig?["aspectRatio"]?.stringValue ?? "1:1"
            fake.require(rule.ratios.contains(ratio), "aspectRatio \(ratio) is not offered by \(model)", request)
            if let size = imageConfig?["imageSize"]?.stringValue {
                fake.require(rule.sizes.contains(size), "imageSize \(size) is not offered by \(model)", request)
            }
            fake.require(
                images <= rule.maxReferences, "\(images) reference images, but \(model) takes at most \(rule.maxReferences)", request)
            if prompt.contains("[blocked]") {
                return .json(
                    #"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12}}"#
                )
            }
            if prompt.contains("[image-safety]") {
                return .json(
                    #"{"candidates":[{"content":{"role":"model","parts":[{"text":"I can't make that image."}]},"finishReason":"IMAGE_SAFETY","index":0}],"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":8,"totalTokenCount":20}}"#
                )
            }
            let data = fake.imageBytes(ratio: ratio).base64EncodedString()
            // Gemini 3 models think in images: interim ones come first, marked "thought": true, in another shape here.
            let interim = fake.imageBytes(ratio: ratio == "21:9" ? "1:1" : "21:9").base64EncodedString()
            let thought =
                model.hasPrefix("gemini-3") ? #"{"inlineData":{"mimeType":"image/png","data":"\#(interim)"},"thought":true},"# : ""
            return .json(
                #"{"candidates":[{"content":{"role":"model","parts":[\#(thought){"text":"Here is your image."},{"inlineData":{"mimeType":"image/png","data":"\#(data)"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":1300,"totalTokenCount":2300,"candidatesTokensDetails":[{"modality":"TEXT","tokenCount":10},{"modality":"IMAGE","tokenCount":1290}]},"modelVersion":"\#(model)"}"#
            )
        }
    }
}
