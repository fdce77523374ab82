import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ImageTests {
    @Test func pngRoundTripsThroughAnIndependentDecoder() throws {
        let width = 37
        let height = 23
        func pixel(_ x: Int, _ y: Int) -> [UInt8] {
            // Flat areas, a gradient and runs longer than 258 bytes all appear.
            x < 10 ? [200, 10, 10] : [UInt8(x * 5 % 256), UInt8(y * 11 % 256), UInt8((x ^ y) % 256)]
        }
        let png = PNGEncoder(width: width, height: height).encode { y, row in
            for x in 0..<width { row[x * 3..<x * 3 + 3] = ArraySlice(pixel(x, y)) }
        }
        let decoded = try decodeTestPNG(png)
        #expect(decoded.width == width && decoded.height == height)
        for y in 0..<height {
            for x in 0..<width {
                #expect(Array(decoded.pixels[(y * width + x) * 3..<(y * width + x) * 3 + 3]) == pixel(x, y))
            }
        }
    }

    @Test func longFlatRunsCompressAndDecode() throws {
        let png = PNGEncoder(width: 2000, height: 40).encode { _, row in
            for i in 0..<row.count { row[i] = 77 }
        }
        #expect(png.count < 2000)
        let decoded = try decodeTestPNG(png)
        #expect(decoded.pixels.allSatisfy { $0 == 77 })
    }

    @Test(arguments: [
        ("1:1", "1K", 1024, 1024), ("16:9", "1K", 1344, 768), ("9:16", "1K", 768, 1344),
        ("16:9", "2K", 2752, 1536), ("1:1", "4K", 4096, 4096), ("21:9", "1K", 1536, 672),
    ])
    func placeholderHasTheModelsPixelSize(_ ratio: String, _ size: String, _ width: Int, _ height: Int) throws {
        let png = PlaceholderImage.render(key: "ab12cd", aspectRatio: ratio, imageSize: size)
        #expect(ImageInspector.inspect([UInt8](png.prefix(64))) == ImageInfo(format: .png, width: width, height: height))
    }

    @Test func placeholderIsDeterministicPerKeyAndDiffersAcrossKeys() throws {
        let a = PlaceholderImage.render(key: "aa00ff11", aspectRatio: "1:1", imageSize: "0.5K")
        let b = PlaceholderImage.render(key: "aa00ff11", aspectRatio: "1:1", imageSize: "0.5K")
        let c = PlaceholderImage.render(key: "11ff00aa", aspectRatio: "1:1", imageSize: "0.5K")
        #expect(a == b)
        #expect(a != c)
        let decoded = try decodeTestPNG(a)
        let centre = (decoded.height / 4 * decoded.width + decoded.width / 8) * 3
        let corner = (3 * decoded.width + decoded.width / 2) * 3
        #expect(decoded.pixels[centre..<centre + 3] != decoded.pixels[corner..<corner + 3], "frame and background differ")
    }

    @Test func inspectsJPEGAndWebPHeaders() {
        // JPEG: SOI, an APP0 segment, then SOF0 with height 300, width 400.
        let jpeg: [UInt8] = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00,
            0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x01, 0x90, 0x03,
        ]
        #expect(ImageInspector.inspect(jpeg) == ImageInfo(format: .jpeg, width: 400, height: 300))
        var vp8x: [UInt8] = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0, 0, 0, 0]
        vp8x += [0x7F, 0x07, 0x00, 0xFF, 0x03, 0x00]  // width-1 = 1919, height-1 = 1023
        #expect(ImageInspector.inspect(vp8x) == ImageInfo(format: .webp, width: 1920, height: 1024))
        #expect(ImageInspector.inspect(Array("<html>not an image</html>".utf8)) == nil)
    }

    @Test func truncatedOrPaddedFilesAreNotWhole() throws {
        let workspace = try TestWorkspace()
        let png = smallPNG(seed: "x")
        let whole = try workspace.write("whole.png", data: png)
        let truncated = try workspace.write("truncated.png", data: png.prefix(png.count - 5))
        let junk = try workspace.write("junk.png", data: Data("{\"error\":\"oops\"}".utf8))
        #expect(ImageInspector.inspectFile(at: whole)?.format == .png)
        #expect(ImageInspector.inspectFile(at: truncated) == nil)
        #expect(ImageInspector.inspectFile(at: junk) == nil)
    }

    /// The store's one-pass check agrees with the header/ending check and the file hash, across read-chunk edges.
    @Test func oneReadExaminationAgreesWithInspectAndHash() throws {
        let workspace = try TestWorkspace()
        var state: UInt32 = 2_463_534_242
        let large = PNGEncoder(width: 300, height: 300).encode { _, row in
            for i in 0..<row.count {
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                row[i] = UInt8(truncatingIfNeeded: state)
            }
        }
        #expect(large.count > 3 * (1 << 16))
        let jpeg = Data(
            [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0x2C, 0x01, 0x90, 0x03]
                + [UInt8](repeating: 0x55, count: (1 << 16) - 3) + [0xFF, 0xD9])
        let cases: [(String, Data)] = [
            ("small.png", smallPNG(seed: "e")), ("large.png", large), ("cut.png", large.prefix(1 << 16)),
            ("image.jpg", jpeg), ("cut.jpg", jpeg.dropLast()), ("junk.png", Data("not an image at all".utf8)),
        ]
        for (name, data) in cases {
            let path = try workspace.write(name, data: data)
            let examined = try ImageInspector.examineFile(at: path, sync: true)
            let expected = ImageInspector.inspectFile(at: path)
            #expect(examined?.info == expected, "\(name)")
            if let examined {
                #expect(examined.bytes == data.count && examined.sha256 == SHA256.hash(data).hexString, "\(name)")
            }
            // Bytes in memory (an inline answer) are judged exactly as the same bytes in a file.
            let inMemory = ImageInspector.examine(data)
            #expect(
                inMemory?.info == examined?.info && inMemory?.sha256 == examined?.sha256 && inMemory?.bytes == examined?.bytes, "\(name)")
            #expect(ImageInspector.inspectWhole(data) == expected, "\(name)")
            #expect(ImageInspector.inspectWhole(data.dropFirst()) == nil, "\(name) without its first byte")
        }
    }
}
