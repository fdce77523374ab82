import Foundation

/// Where each value of a manifest is written: JSON path → line and column. Built only when there is
/// something to report (a second parse), so loading a valid manifest pays nothing for it.
/// An object member is placed at its key, an array element at its value.
struct ManifestPositions {
    struct Position: Equatable {
        var line: Int
        var column: Int
    }

    private var positions: [String: Position] = [:]

    /// Reads `data` (JSON with comments); a document that does not parse keeps what was read before the error.
    init(_ data: Data) {
        let locator = OffsetLocator([UInt8](data))
        var cursor = JSONCursor(data, allowsComments: true)
        var walker = Walker(locator: locator)
        try? walker.walk(&cursor, at: .root, recordValue: true)
        positions = walker.positions
    }

    /// The position of `path`, or of its nearest parent that is written in the document.
    func position(of path: String) -> Position? {
        if let exact = positions[path] { return exact }
        let characters = Array(path)
        var end = characters.count
        while end > 0 {
            end -= 1
            guard characters[end] == "." || characters[end] == "[" else { continue }
            if let found = positions[String(characters[0..<end])] { return found }
        }
        return positions[""]
    }

    /// Each issue with the line and column of its path, in the order they appear in the file.
    func locate(_ issues: [ManifestIssue]) -> [ManifestIssue] {
        let located = issues.map { issue in
            guard issue.line == nil, let position = position(of: issue.path) else { return issue }
            var located = issue
            located.line = position.line
            located.column = position.column
            return located
        }
        return located.enumerated().sorted { a, b in
            (a.element.line ?? 0, a.element.column ?? 0, a.offset) < (b.element.line ?? 0, b.element.column ?? 0, b.offset)
        }.map(\.element)
    }

    private struct Walker {
        var locator: OffsetLocator
        var positions: [String: Position] = [:]

        mutating func walk(_ cursor: inout JSONCursor, at path: JSONPath, recordValue: Bool) throws {
            let kind = try cursor.peek()
            if recordValue { positions[path.text] = locator.position(at: cursor.offset) }
            switch kind {
            case .object:
                try cursor.beginObject()
                while let key = try cursor.nextKey() {
                    let member = path.key(key)
                    positions[member.text] = locator.position(at: cursor.keyOffset)
                    try walk(&cursor, at: member, recordValue: false)
                }
            case .array:
                try cursor.beginArray()
                var index = 0
                while try cursor.nextElement() {
                    try walk(&cursor, at: path.index(index), recordValue: true)
                    index += 1
                }
            default:
                try cursor.skipValue()
            }
        }
    }

    /// Byte offsets to lines and columns, moving forward from the last offset asked (the walk only goes forward).
    private struct OffsetLocator {
        let bytes: [UInt8]
        var offset = 0
        var line = 1
        var column = 1

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
        }

        mutating func position(at target: Int) -> Position {
            while offset < min(target, bytes.count) {
                if bytes[offset] == 0x0A {
                    line += 1
                    column = 1
                } else if bytes[offset] & 0xC0 != 0x80 {
                    column += 1
                }
                offset += 1
            }
            return Position(line: line, column: column)
        }
    }
}
