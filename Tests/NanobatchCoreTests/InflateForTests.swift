import Foundation

/// A small inflater (stored and fixed-Huffman blocks) used only to check the PNG encoder's output.
struct TestInflater {
    struct Failure: Error {}
    private let data: [UInt8]
    private var bytePosition = 0
    private var bitPosition = 0

    init(_ data: [UInt8]) { self.data = data }

    private mutating func bit() throws -> Int {
        guard bytePosition < data.count else { throw Failure() }
        let value = Int(data[bytePosition] >> UInt8(bitPosition)) & 1
        bitPosition += 1
        if bitPosition == 8 {
            bitPosition = 0
            bytePosition += 1
        }
        return value
    }

    private mutating func bits(_ count: Int) throws -> Int {
        var value = 0
        for i in 0..<count { value |= try bit() << i }
        return value
    }

    /// Reads a fixed-Huffman literal/length symbol (codes are stored MSB-first).
    private mutating func fixedSymbol() throws -> Int {
        var code = 0
        for length in 1...9 {
            code = code << 1 | (try bit())
            switch length {
            case 7 where code <= 0b0010111: return code + 256
            case 8 where code >= 0b00110000 && code <= 0b10111111: return code - 0b00110000
            case 8 where code >= 0b11000000 && code <= 0b11000111: return code - 0b11000000 + 280
            case 9 where code >= 0b110010000: return code - 0b110010000 + 144
            default: continue
            }
        }
        throw Failure()
    }

    static let lengthBases = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBases = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289,
        16385, 24577,
    ]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// Inflates a zlib stream and checks its Adler-32.
    static func zlibInflate(_ stream: [UInt8]) throws -> [UInt8] {
        guard stream.count > 6, (Int(stream[0]) << 8 | Int(stream[1])) % 31 == 0 else { throw Failure() }
        var inflater = TestInflater(Array(stream[2...]))
        var out: [UInt8] = []
        var final = 0
        repeat {
            final = try inflater.bits(1)
            let type = try inflater.bits(2)
            if type == 0 {
                if inflater.bitPosition != 0 {
                    inflater.bitPosition = 0
                    inflater.bytePosition += 1
                }
                let length = try inflater.bits(16)
                _ = try inflater.bits(16)
                for _ in 0..<length { out.append(UInt8(try inflater.bits(8))) }
            } else if type == 1 {
                while true {
                    let symbol = try inflater.fixedSymbol()
                    if symbol < 256 {
                        out.append(UInt8(symbol))
                        continue
                    }
                    if symbol == 256 { break }
                    let index = symbol - 257
                    guard index < lengthBases.count else { throw Failure() }
                    let length = lengthBases[index] + (try inflater.bits(lengthExtra[index]))
                    var distanceCode = 0
                    for _ in 0..<5 { distanceCode = distanceCode << 1 | (try inflater.bit()) }
                    guard distanceCode < 30 else { throw Failure() }
                    let distance = distanceBases[distanceCode] + (try inflater.bits(distanceExtra[distanceCode]))
                    guard distance <= out.count else { throw Failure() }
                    for _ in 0..<length { out.append(out[out.count - distance]) }
                }
            } else {
                throw Failure()  // dynamic blocks are not needed for our encoder
            }
        } while final == 0
        if inflater.bitPosition != 0 { inflater.bytePosition += 1 }
        let start = inflater.bytePosition + 2
        guard start + 4 <= stream.count else { throw Failure() }
        let stored = stream[start..<start + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var adler = NanobatchAdler()
        adler.update(out)
        guard stored == adler.value else { throw Failure() }
        return out
    }
}

/// Independent Adler-32 for the test (not the project's).
struct NanobatchAdler {
    var a: UInt32 = 1, b: UInt32 = 0
    mutating func update(_ bytes: [UInt8]) {
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
    }
    var value: UInt32 { b << 16 | a }
}

/// Decodes an RGB8 PNG made by our encoder into raw pixel rows, checking every chunk CRC.
func decodeTestPNG(_ png: Data) throws -> (width: Int, height: Int, pixels: [UInt8]) {
    let bytes = [UInt8](png)
    guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw TestInflater.Failure() }
    var offset = 8
    var width = 0
    var height = 0
    var idat: [UInt8] = []
    var sawEnd = false
    while offset + 12 <= bytes.count {
        let length = Int(bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
        let body = Array(bytes[offset + 8..<offset + 8 + length])
        let crc = bytes[offset + 8 + length..<offset + 12 + length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var table = [UInt32](repeating: 0, count: 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[n] = c
        }
        var c: UInt32 = 0xFFFF_FFFF
        for byte in Array(type.utf8) + body { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        guard c ^ 0xFFFF_FFFF == crc else { throw TestInflater.Failure() }
        switch type {
        case "IHDR":
            width = Int(body[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            height = Int(body[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard body[8] == 8, body[9] == 2 else { throw TestInflater.Failure() }
        case "IDAT": idat += body
        case "IEND": sawEnd = true
        default: break
        }
        offset += 12 + length
    }
    guard sawEnd else { throw TestInflater.Failure() }
    let raw = try TestInflater.zlibInflate(idat)
    let stride = width * 3
    guard raw.count == height * (stride + 1) else { throw TestInflater.Failure() }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        let filter = raw[y * (stride + 1)]
        for x in 0..<stride {
            let value = raw[y * (stride + 1) + 1 + x]
            let left = x >= 3 ? pixels[y * stride + x - 3] : 0
            let up = y > 0 ? pixels[(y - 1) * stride + x] : 0
            switch filter {
            case 0: pixels[y * stride + x] = value
            case 1: pixels[y * stride + x] = value &+ left
            case 2: pixels[y * stride + x] = value &+ up
            default: throw TestInflater.Failure()
            }
        }
    }
    return (width, height, pixels)
}
