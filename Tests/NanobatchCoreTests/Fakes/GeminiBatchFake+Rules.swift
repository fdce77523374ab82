import Foundation

@testable import NanobatchCore

extension GeminiBatchFake {
    /// What breaks the `generateContent` rules in one request (the checks of `DialectFakes.gemini`):
    /// known fields, non-empty contents, text or inline image parts (PNG/JPEG/WebP, base64), IMAGE
    /// among the response modalities, and the ratio, size and reference count the model takes.
    static func generateContentProblems(_ body: JSONValue, model: String) -> [String] {
        var problems: [String] = []
        guard let object = body.objectValue else { return ["the request is not a JSON object"] }
        for field in object.keys where !["contents", "generationConfig"].contains(field) {
            problems.append("undocumented field \"\(field)\"")
        }
        var images = 0
        let contents = body["contents"]?.arrayValue ?? []
        if contents.isEmpty { problems.append("contents must not be empty") }
        for content in contents {
            for part in content["parts"]?.arrayValue ?? [] {
                if part["text"]?.stringValue != nil { continue }
                guard let inline = part["inline_data"] ?? part["inlineData"] else {
                    problems.append("a part is neither text nor inline_data")
                    continue
                }
                images += 1
                let mime = (inline["mime_type"] ?? inline["mimeType"])?.stringValue ?? ""
                if !["image/png", "image/jpeg", "image/webp"].contains(mime) { problems.append("inline_data mime_type \(mime)") }
                let bytes = (inline["data"]?.stringValue).flatMap { Data(base64Encoded: $0) }
                if bytes.map({ ImageInspector.inspect([UInt8]($0)) != nil }) != true {
                    problems.append("inline_data is not a base64 image")
                }
            }
        }
        let config = body["generationConfig"]
        let modalities = config?["responseModalities"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !modalities.contains("IMAGE") { problems.append("responseModalities must include IMAGE") }
        guard let rule = DialectFakes.geminiModels[model] else { return problems + ["unknown model \(model)"] }
        let ratio = config?.at("imageConfig", "aspectRatio")?.stringValue ?? "1:1"
        if !rule.ratios.contains(ratio) { problems.append("aspectRatio \(ratio) is not offered by \(model)") }
        if let size = config?.at("imageConfig", "imageSize")?.stringValue, !rule.sizes.contains(size) {
            problems.append("imageSize \(size) is not offered by \(model)")
        }
        if images > rule.maxReferences { problems.append("\(images) reference images, but \(model) takes at most \(rule.maxReferences)") }
        return problems
    }
}
