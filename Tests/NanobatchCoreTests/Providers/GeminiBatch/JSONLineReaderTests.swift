import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(1))) struct JSONLineReaderTests {
    func write(_ data: Data, in workspace: TestWorkspace) throws -> URL {
        let url = workspace.url.appendingPathComponent("lines-\(UUID().uuidString).jsonl")
        try data.write(to: url)
        return url
    }

    func readAll(_ reader: JSONLineReader) throws -> [Data] {
        var lines: [Data] = []
        try reader.eachLine { lines.append($0) }
        return lines
    }

    /// Lines of several MB, read through a 64 KB chunk: the file is much bigger than the buffer.
    @Test func linesOfSeveralMegabytesComeBackWhole() throws {
        let workspace = try TestWorkspace()
        let lines = (0..<4).map { index in Data(repeating: UInt8(ascii: "a") + UInt8(index), count: (3 << 20) + index * 1001) }
        var file = Data()
        for line in lines { file.append(line + [0x0A]) }
        let reader = try JSONLineReader(url: try write(file, in: workspace), maxLineBytes: 8 << 20, chunkBytes: 64 << 10)
        #expect(try readAll(reader) == lines)
        #expect(reader.lineNumber == 4)
    }

    @Test func manySmallLinesAcrossChunkBordersWithCRLFBlankLinesAndNoFinalNewline() throws {
        let workspace = try TestWorkspace()
        let records = (0..<5000).map { #"{"key":"k\#($0)","n":\#($0)}"# }
        var text = ""
        for (index, record) in records.enumerated() {
            text += record + (index % 7 == 0 ? "\r\n" : "\n")
            if index % 100 == 0 { text += "\n  \n" }
        }
        text += #"{"last":true}"#
        let reader = try JSONLineReader(url: try write(Data(text.utf8), in: workspace), chunkBytes: 1000)
        let read = try readAll(reader).map { String(decoding: $0, as: UTF8.self) }
        #expect(read == records + [#"{"last":true}"#])
        #expect(try reader.next() == nil, "the end stays the end")
    }

    @Test func aLineOverTheLimitIsAClearError() throws {
        let workspace = try TestWorkspace()
        var file = Data("{\"ok\":1}\n".utf8)
        file.append(Data(repeating: UInt8(ascii: "x"), count: 300_000))
        file.append(Data("\n{\"ok\":2}\n".utf8))
        let reader = try JSONLineReader(url: try write(file, in: workspace), maxLineBytes: 100_000, chunkBytes: 4096)
        #expect(try reader.next() == Data("{\"ok\":1}".utf8))
        #expect {
            _ = try reader.next()
        } throws: { error in
            (error as? JSONLineReader.LineTooLong).map { $0.lineNumber == 2 && $0.description.contains("line 2") } == true
        }
        // Found within one chunk (the newline is already read): still refused.
        let small = try JSONLineReader(url: try write(file, in: workspace), maxLineBytes: 100_000, chunkBytes: 1 << 20)
        _ = try small.next()
        #expect(throws: JSONLineReader.LineTooLong.self) { try small.next() }
    }

    @Test func anEmptyFileHasNoLinesAndAMissingFileThrows() throws {
        let workspace = try TestWorkspace()
        #expect(try JSONLineReader(url: try write(Data(), in: workspace)).next() == nil)
        #expect(throws: (any Error).self) { try JSONLineReader(url: workspace.url.appendingPathComponent("absent.jsonl")) }
    }
}
