import Foundation

@testable import NanobatchCore

extension GeminiBatchFake {
    /// What breaks the `generateContent` rules in one request (the checks of `DialectFakes.gemini`):
    /// known fields, non-empty contents, text or inline image parts (PNG/JPEG/WebP, base64), IMAGE
    /// among the response modalities, and the ratio and size the model offers.
    static func generateContentProblems(_ body: JSONValue, model: String) -> [String] {
        var problems: [String] = []
        guard let object = body.objectValue else { return ["the request is not a JSON object"] }
        for field in object.keys where !["contents", "generationConfig"].contains(field) {
            problems.append("undocumented field \"\(field)\"")
        }
        let contents = body["contents"]?.arrayValue ?? []
        if contents.isEmpty { problems.append("contents must not be empty") }
        for content in contents {
            for part in content["parts"]?.arrayValue ?? [] {
                if part["text"]?.stringValue != nil { continue }
                guard let inline = part["inline_data"] ?? part["inlineData"] else {
                    problems.append("a part is neither text nor inline_data")
                    continue
                }
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
        let ratio = config?.at("imageConfig", "aspectRatio")?.stringValue ?? "1:1"
        let flash31 = model.hasPrefix("gemini-3.1-flash-image")
        let ratios = flash31 ? DialectFakes.standardRatios + DialectFakes.extraRatios : DialectFakes.standardRatios
        if !ratios.contains(ratio) { problems.append("aspectRatio \(ratio) is not offered by \(model)") }
        if let size = config?.at("imageConfig", "imageSize")?.stringValue {
            if model == "gemini-2.5-flash-image" { problems.append("gemini-2.5-flash-image does not accept imageSize") }
            let sizes = flash31 ? ["512", "1K", "2K", "4K"] : ["1K", "2K", "4K"]
            if !sizes.contains(size) { problems.append("imageSize \(size) is not offered by \(model)") }
        }
        return problems
    }
}
