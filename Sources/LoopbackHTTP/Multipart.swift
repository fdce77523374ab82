import Foundation

/// One part of a `multipart/form-data` body.
package struct FormPart: Sendable, Equatable {
    package var name: String
    package var filename: String?
    package var contentType: String?
    package var data: Data

    package init(name: String, filename: String?, contentType: String?, data: Data) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}

package enum MultipartParser {
    /// The boundary named in a Content-Type header, if any.
    package static func boundary(fromContentType contentType: String) -> String? {
        for piece in contentType.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasPrefix("boundary=") {
                return String(trimmed.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// Splits a body into parts; `nil` when it is not well-formed multipart (RFC 7578).
    package static func parse(_ body: Data, boundary: String) -> [FormPart]? {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var i = 0
        while i + delimiter.count <= bytes.count {
            if bytes[i] == delimiter[0], Array(bytes[i..<i + delimiter.count]) == delimiter,
                i == 0 || (i >= 2 && bytes[i - 2] == 0x0D && bytes[i - 1] == 0x0A)
            {
                positions.append(i)
                i += delimiter.count
            } else {
                i += 1
            }
        }
        guard positions.count >= 2 else { return nil }
        let last = positions[positions.count - 1]
        guard last + delimiter.count + 2 <= bytes.count, bytes[last + delimiter.count] == 0x2D, bytes[last + delimiter.count + 1] == 0x2D
        else {
            return nil
        }
        var parts: [FormPart] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var cursor = start + delimiter.count
            guard cursor + 2 <= end, bytes[cursor] == 0x0D, bytes[cursor + 1] == 0x0A else { return nil }
            cursor += 2
            var name: String?
            var filename: String?
            var contentType: String?
            while true {
                guard let lineEnd = (cursor..<end - 1).first(where: { bytes[$0] == 0x0D && bytes[$0 + 1] == 0x0A }) else { return nil }
                let line = String(decoding: bytes[cursor..<lineEnd], as: UTF8.self)
                cursor = lineEnd + 2
                if line.isEmpty { break }
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    name = attribute("name", in: line)
                    filename = attribute("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            guard let name, end - 2 >= cursor else { return nil }
            parts.append(FormPart(name: name, filename: filename, contentType: contentType, data: Data(bytes[cursor..<end - 2])))
        }
        return parts
    }

    static func attribute(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("\(key)=\"") && trimmed.hasSuffix("\"") {
                return String(trimmed.dropFirst(key.count + 2).dropLast())
            }
        }
        return nil
    }
}
