/// CRC-32 (ISO-HDLC, as PNG uses) and Adler-32 (as zlib uses), both incremental.
struct CRC32: Sendable {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private var crc: UInt32 = 0xFFFF_FFFF
    init() {}

    mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var c = crc
        for byte in bytes { c = CRC32.table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        crc = c
    }

    var value: UInt32 { crc ^ 0xFFFF_FFFF }
}

struct Adler32: Sendable {
    private var a: UInt32 = 1
    private var b: UInt32 = 0
    init() {}

    mutating func update(_ bytes: [UInt8]) {
        var index = 0
        while index < bytes.count {
            let end = min(index + 5552, bytes.count)
            for i in index..<end {
                a &+= UInt32(bytes[i])
                b &+= a
            }
            a %= 65521
            b %= 65521
            index = end
        }
    }

    var value: UInt32 { b << 16 | a }
}
