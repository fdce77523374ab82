import Foundation

/// Draws placeholder images; pure, so tests can check its output directly.
package enum PlaceholderImage {
    package static func render(key: String, aspectRatio: String, imageSize: String?) -> Data {
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
        let textWidth = glyphs.width * scale
        let textHeight = BitmapFont.height * scale
        let textX = (width - textWidth) / 2
        let textY = (height - textHeight) / 2
        return PNGEncoder(width: width, height: height).encode { y, row in
            for x in 0..<width {
                var color = background
                let onFrame = x < border || y < border || x >= width - border || y >= height - border
                let onDiagonal =
                    abs(x * height - y * width) < width * border / 2 || abs((width - 1 - x) * height - y * width) < width * border / 2
                let inText =
                    y >= textY && y < textY + textHeight && x >= textX && x < textX + textWidth
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
