import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct SHA256Tests {
    // FIPS 180-2 appendix B vectors, and a reference implementation's digests at the padding edges.
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        (String(repeating: "a", count: 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (String(repeating: "a", count: 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (String(repeating: "a", count: 63), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (String(repeating: "a", count: 65), "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (String(repeating: "a", count: 119), "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (String(repeating: "a", count: 120), "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
    ]

    @Test(arguments: 0..<vectors.count)
    func oneShotMatchesVector(_ index: Int) {
        let (input, expected) = SHA256Tests.vectors[index]
        #expect(SHA256.hash(input).hexString == expected)
    }

    @Test(arguments: [1, 3, 7, 63, 64, 65])
    func incrementalChunksMatchOneShot(_ chunkSize: Int) {
        for (input, expected) in SHA256Tests.vectors {
            let bytes = Array(input.utf8)
            var hasher = SHA256Hasher()
            var offset = 0
            while offset < bytes.count {
                hasher.update(bytes: bytes[offset..<min(offset + chunkSize, bytes.count)])
                offset += chunkSize
            }
            #expect(hasher.finalize().hexString == expected, "chunk size \(chunkSize), input length \(bytes.count)")
        }
    }

    @Test func millionAs() {
        var hasher = SHA256Hasher()
        let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(bytes: block) }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileHashIsStreamedAndEqualsInMemoryHash() throws {
        let directory = try TestWorkspace()
        var bytes = [UInt8]()
        for i in 0..<300_000 { bytes.append(UInt8(truncatingIfNeeded: i &* 31)) }
        let url = directory.url.appendingPathComponent("blob.bin")
        try Data(bytes).write(to: url)
        #expect(try SHA256.hashFile(at: url) == SHA256.hash(Data(bytes)))
    }
}
