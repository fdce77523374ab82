import Foundation

#if canImport(CryptoKit)
    import CryptoKit
#endif

/// Incremental SHA-256 (FIPS 180-4). Uses CryptoKit where it exists, a portable implementation elsewhere.
struct SHA256Hasher: Sendable {
    #if canImport(CryptoKit)
        private var inner = CryptoKit.SHA256()
        init() {}
        mutating func update<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
            inner.update(data: Data(bytes))
        }
        mutating func update(data: Data) { inner.update(data: data) }
        mutating func finalize() -> [UInt8] { Array(inner.finalize()) }
    #else
        private var state = SHA256Hasher.State()
        /// Bytes of an unfinished 64-byte block (fewer than 64).
        private var buffer: [UInt8] = []
        private var totalLength: UInt64 = 0

        init() {}

        mutating func update(data: Data) {
            data.withUnsafeBytes { raw in update(raw: raw) }
        }

        mutating func update<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
            if let contiguous = bytes as? [UInt8] {
                contiguous.withUnsafeBytes { update(raw: $0) }
            } else {
                let array = Array(bytes)
                array.withUnsafeBytes { update(raw: $0) }
            }
        }

        private mutating func update(raw: UnsafeRawBufferPointer) {
            guard raw.count > 0 else { return }
            totalLength &+= UInt64(raw.count)
            var offset = 0
            if !buffer.isEmpty {
                let take = min(64 - buffer.count, raw.count)
                buffer.append(contentsOf: raw[0..<take])
                offset = take
                if buffer.count == 64 {
                    buffer.withUnsafeBytes { state.compress(blocks: $0.baseAddress!, count: 1) }
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            let whole = (raw.count - offset) / 64
            if whole > 0 {
                state.compress(blocks: raw.baseAddress!.advanced(by: offset), count: whole)
                offset += whole * 64
            }
            if offset < raw.count { buffer.append(contentsOf: raw[offset...]) }
        }

        mutating func finalize() -> [UInt8] {
            let bitLength = totalLength &* 8
            var tail = buffer
            tail.append(0x80)
            while tail.count % 64 != 56 { tail.append(0) }
            for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
            tail.withUnsafeBytes { state.compress(blocks: $0.baseAddress!, count: $0.count / 64) }
            let words = [state.a, state.b, state.c, state.d, state.e, state.f, state.g, state.h]
            return [UInt8](unsafeUninitializedCapacity: 32) { digest, count in
                for (index, word) in words.enumerated() {
                    digest[4 * index] = UInt8(truncatingIfNeeded: word >> 24)
                    digest[4 * index + 1] = UInt8(truncatingIfNeeded: word >> 16)
                    digest[4 * index + 2] = UInt8(truncatingIfNeeded: word >> 8)
                    digest[4 * index + 3] = UInt8(truncatingIfNeeded: word)
                }
                count = 32
            }
        }

        /// The eight working words, kept in stored properties rather than an array.
        private struct State {
            var a: UInt32 = 0x6a09_e667, b: UInt32 = 0xbb67_ae85, c: UInt32 = 0x3c6e_f372, d: UInt32 = 0xa54f_f53a
            var e: UInt32 = 0x510e_527f, f: UInt32 = 0x9b05_688c, g: UInt32 = 0x1f83_d9ab, h: UInt32 = 0x5be0_cd19

            mutating func compress(blocks: UnsafeRawPointer, count: Int) {
                SHA256Hasher.roundConstants.withUnsafeBufferPointer { constants in
                    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                        let k = constants.baseAddress!
                        let w = schedule.baseAddress!
                        for block in 0..<count {
                            let bytes = blocks.advanced(by: block * 64).assumingMemoryBound(to: UInt8.self)
                            for i in 0..<16 {
                                w[i] =
                                    UInt32(bytes[i * 4]) << 24 | UInt32(bytes[i * 4 + 1]) << 16
                                    | UInt32(bytes[i * 4 + 2]) << 8 | UInt32(bytes[i * 4 + 3])
                            }
                            for i in 16..<64 {
                                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                            }
                            var a = self.a
                            var b = self.b
                            var c = self.c
                            var d = self.d
                            var e = self.e
                            var f = self.f
                            var g = self.g
                            var h = self.h
                            for i in 0..<64 {
                                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                                let ch = (e & f) ^ (~e & g)
                                let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                                let maj = (a & b) ^ (a & c) ^ (b & c)
                                let t2 = s0 &+ maj
                                h = g
                                g = f
                                f = e
                                e = d &+ t1
                                d = c
                                c = b
                                b = a
                                a = t1 &+ t2
                            }
                            self.a &+= a
                            self.b &+= b
                            self.c &+= c
                            self.d &+= d
                            self.e &+= e
                            self.f &+= f
                            self.g &+= g
                            self.h &+= h
                        }
                    }
                }
            }

            @inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        }

        private static let roundConstants: [UInt32] = [
            0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
            0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
            0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
            0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
            0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
            0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
            0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
            0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
        ]

    #endif
}

enum SHA256 {
    static func hash(_ data: Data) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(data: data)
        return hasher.finalize()
    }

    static func hash(_ string: String) -> [UInt8] { hash(Data(string.utf8)) }

    /// Hashes a file in 64 KiB chunks; the file is never read whole.
    static func hashFile(at url: URL) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize()
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let bytes = Array(self)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            let digits: StaticString = "0123456789abcdef"
            let table = digits.utf8Start
            for (index, byte) in bytes.enumerated() {
                buffer[2 * index] = table[Int(byte >> 4)]
                buffer[2 * index + 1] = table[Int(byte & 0x0f)]
            }
            return bytes.count * 2
        }
    }
}
