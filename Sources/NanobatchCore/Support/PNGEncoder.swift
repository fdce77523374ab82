import Foundation

/// Encodes 8-bit RGB PNG images row by row. Rows are filtered ("Up") and compressed with a
/// fixed-Huffman deflate that encodes runs of equal bytes as back-references, which suits the
/// flat placeholder images the offline provider draws; the whole raw image is never held in memory.
package struct PNGEncoder {
    package let width: Int
    package let height: Int

    package init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "PNG size must be positive")
        self.width = width
        self.height = height
    }

    /// Encodes the image; `row(y, &pixels)` fills `pixels` (width × 3 bytes, RGB) for row `y`.
    package func encode(row: (Int, inout [UInt8]) -> Void) -> Data {
        var deflater = RunLengthDeflater()
        var adler = Adler32()
        var previous = [UInt8](repeating: 0, count: width * 3)
        var current = [UInt8](repeating: 0, count: width * 3)
        var filtered = [UInt8](repeating: 0, count: width * 3 + 1)
        for y in 0..<height {
            row(y, &current)
            filtered[0] = 2  // Up filter
            for i in 0..<current.count { filtered[i + 1] = current[i] &- previous[i] }
            adler.update(filtered)
            deflater.write(filtered)
            swap(&previous, &current)
        }
        var zlib: [UInt8] = [0x78, 0x01]
        zlib += deflater.finish()
        let checksum = adler.value
        zlib += [UInt8(checksum >> 24), UInt8(checksum >> 16 & 0xFF), UInt8(checksum >> 8 & 0xFF), UInt8(checksum & 0xFF)]

        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // bit depth 8, RGB, deflate, adaptive filtering, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlib, to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private func appendChunk(_ type: String, _ body: [UInt8], to png: inout Data) {
        png.append(contentsOf: bigEndian(UInt32(body.count)))
        var crc = CRC32()
        let typeBytes = Array(type.utf8)
        crc.update(typeBytes)
        crc.update(body)
        png.append(contentsOf: typeBytes)
        png.append(contentsOf: body)
        png.append(contentsOf: bigEndian(crc.value))
    }
}

/// A single fixed-Huffman deflate block; runs of one byte become distance-1 matches.
struct RunLengthDeflater {
    private var output: [UInt8] = []
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0
    private var lastByte: UInt8? = nil
    private var pendingRun = 0

    init() {
        writeBits(1, count: 1)  // BFINAL
        writeBits(1, count: 2)  // BTYPE = fixed Huffman
    }

    mutating func write(_ bytes: [UInt8]) {
        for byte in bytes {
            if byte == lastByte {
                pendingRun += 1
                if pendingRun == 258 { flushRun() }
            } else {
                flushRun()
                writeLiteral(Int(byte))
                lastByte = byte
            }
        }
    }

    mutating func finish() -> [UInt8] {
        flushRun()
        writeSymbol(256)
        if bitCount > 0 { writeBits(0, count: 8 - bitCount % 8) }
        return output
    }

    private mutating func flushRun() {
        guard let byte = lastByte, pendingRun > 0 else { return }
        if pendingRun < 3 {
            for _ in 0..<pendingRun { writeLiteral(Int(byte)) }
        } else {
            writeLength(pendingRun)
            writeBits(0, count: 5)  // distance code 0 = distance 1 (fixed 5-bit codes, MSB-first 00000)
        }
        pendingRun = 0
    }

    private static let lengthBases: [Int] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
        35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    private static let lengthExtraBits: [Int] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]

    private mutating func writeLength(_ length: Int) {
        var index = RunLengthDeflater.lengthBases.count - 1
        while RunLengthDeflater.lengthBases[index] > length { index -= 1 }
        writeSymbol(257 + index)
        let extra = RunLengthDeflater.lengthExtraBits[index]
        if extra > 0 { writeBits(UInt64(length - RunLengthDeflater.lengthBases[index]), count: extra) }
    }

    private mutating func writeLiteral(_ value: Int) { writeSymbol(value) }

    /// Writes a literal/length symbol with the fixed Huffman code (codes go MSB-first).
    private mutating func writeSymbol(_ symbol: Int) {
        let code: Int
        let length: Int
        switch symbol {
        case 0...143:
            code = 0x30 + symbol
            length = 8
        case 144...255:
            code = 0x190 + symbol - 144
            length = 9
        case 256...279:
            code = symbol - 256
            length = 7
        default:
            code = 0xC0 + symbol - 280
            length = 8
        }
        var reversed = 0
        for i in 0..<length where code & (1 << i) != 0 { reversed |= 1 << (length - 1 - i) }
        writeBits(UInt64(reversed), count: length)
    }

    private mutating func writeBits(_ value: UInt64, count: Int) {
        bitBuffer |= value << UInt64(bitCount)
        bitCount += count
        while bitCount >= 8 {
            output.append(UInt8(bitBuffer & 0xFF))
            bitBuffer >>= 8
            bitCount -= 8
        }
    }
}
