import Foundation

/// Builds a `multipart/form-data` body (RFC 7578).
package struct MultipartBody: Sendable {
    package let boundary: String
    private var data = Data()

    package init(boundary: String = "nanobatch-" + UUID().uuidString) {
        self.boundary = boundary
    }

    package var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    package mutating func addField(_ name: String, _ value: String) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(MultipartBody.quoted(name))\"\r\n\r\n".utf8))
        data.append(Data(value.utf8))
        data.append(Data("\r\n".utf8))
    }

    package mutating func addFile(_ name: String, filename: String, contentType: String, bytes: Data) {
        data.append(
            Data(
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(MultipartBody.quoted(name))\"; "
                    + "filename=\"\(MultipartBody.quoted(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n").utf8))
        data.append(bytes)
        data.append(Data("\r\n".utf8))
    }

    package func finished() -> Data {
        var result = data
        result.append(Data("--\(boundary)--\r\n".utf8))
        return result
    }

    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "_").replacingOccurrences(of: "\"", with: "_")
            .replacingOccurrences(of: "\r", with: "_").replacingOccurrences(of: "\n", with: "_")
    }
}
