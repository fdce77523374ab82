import Foundation

/// The embedded provider: no network, no key, no charge. Draws a deterministic placeholder PNG of the exact
/// pixel size the real model would return: a colour from the content key, a frame, diagonals,
/// and the ratio and size written in the middle.
public struct OfflineProvider: ImageProvider {
    public let latency: Duration

    public init(latency: Duration = .zero) { self.latency = latency }

    public var submissionKind: SubmissionKind { OfflineDialect().submissionKind }

    public func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        if latency > .zero { try await Task.sleep(for: latency) }
        try Task.checkCancellation()
        // Drawing and encoding a 4K PNG takes a while: done on dedicated threads, never on the
        // cooperative pool (every job's waits) or Dispatch's shared threads (URLSession).
        let (key, ratio, size, destination) = (request.key, request.job.aspectRatio, request.job.imageSize, request.destination)
        try await WorkerThreads.shared.run {
            try PlaceholderImage.render(key: key, aspectRatio: ratio, imageSize: size).write(to: destination)
        }
        return GenerationReceipt(actualCost: 0)
    }
}

/// Draws placeholder images; pure, so tests can check its output directly.
public enum PlaceholderImage {
    public static func render(key: String, aspectRatio: String, imageSize: String?) -> Data {
        let (width, height) = ModelCatalog.pixelSize(aspectRatio: aspectRatio, imageSize: imageSize)
        let seed = Array(key.utf8)
        func channel(_ i: Int) -> UInt8 {
            let hex = seed.count > 2 * i + 1 ? String(decoding: seed[(2 * i)...(2 * i + 1)], as: UTF8.self) : "80"
            return UInt8(128 + Int(UInt8(hex, radix: 16) ?? 128) / 2)
        }
        let background: [UInt8] = [channel(0), channel(1), channel(2)]
        let ink: [UInt8] = background.map { $0 / 3 }
        let border = max(2, min(width, height) / 64)
        let text = "\(aspectRatio) \(imageSize ?? "")".uppercased().trimmingCharacters(in: .whitespaces)
        let glyphs = BitmapFont.rasterize(text)
        let scale = max(1, min(width * 2 / 3 / max(glyphs.width, 1), height / 4 / BitmapFont.height))
        let textWidth = glyphs.width * scale, textHeight = BitmapFont.height * scale
        let textX = (width - textWidth) / 2, textY = (height - textHeight) / 2
        return PNGEncoder(width: width, height: height).encode { y, row in
            for x in 0..<width {
                var color = background
                let onFrame = x < border || y < border || x >= width - border || y >= height - border
                let onDiagonal = abs(x * height - y * width) < width * border / 2 || abs((width - 1 - x) * height - y * width) < width * border / 2
                let inText = y >= textY && y < textY + textHeight && x >= textX && x < textX + textWidth
                    && glyphs.pixel((x - textX) / scale, (y - textY) / scale)
                if onFrame || inText {
                    color = ink
                } else if onDiagonal {
                    color = background.map { UInt8((Int($0) + Int(ink[0])) / 2) }
                }
                row[x * 3] = color[0]
                row[x * 3 + 1] = color[1]
                row[x * 3 + 2] = color[2]
            }
        }
    }
}

/// A 5×7 pixel font for the characters placeholders need.
enum BitmapFont {
    static let height = 7
    static let glyphs: [Character: [String]] = [
        "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
        "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
        "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
        "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
        "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
        "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
        "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
        "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
        "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
        "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
        ":": ["00000", "01100", "01100", "00000", "01100", "01100", "00000"],
        ".": ["00000", "00000", "00000", "00000", "00000", "01100", "01100"],
        "K": ["10001", "10010", "10100", "11000", "10100", "10010", "10001"],
        " ": ["00000", "00000", "00000", "00000", "00000", "00000", "00000"],
    ]

    struct Raster {
        let width: Int
        let bits: [Bool]
        func pixel(_ x: Int, _ y: Int) -> Bool { x >= 0 && x < width && y >= 0 && y < BitmapFont.height && bits[y * width + x] }
    }

    static func rasterize(_ text: String) -> Raster {
        let characters = Array(text).map { glyphs[$0] ?? glyphs[" "]! }
        let width = max(1, characters.count * 6 - 1)
        var bits = [Bool](repeating: false, count: width * height)
        for (index, glyph) in characters.enumerated() {
            for (y, row) in glyph.enumerated() {
                for (x, bit) in row.enumerated() where bit == "1" { bits[y * width + index * 6 + x] = true }
            }
        }
        return Raster(width: width, bits: bits)
    }
}
