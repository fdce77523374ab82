import Foundation

/// Draws placeholder images; pure, so tests can check its output directly. The same inputs give the same bytes.
package enum PlaceholderImage {
    /// Longest line written on a placeholder; longer ones end in "..".
    static let longestLine = 28

    /// What a placeholder says about its job, above the ratio and size: the prompt or step id, the model,
    /// the variant and the take, so a layout preview tells `hero` from `hero-night`.
    package static func label(for job: Job) -> [String] {
        [job.group, job.model, "v\(job.variant) · take \(job.take)"]
    }

    /// `lines`: written above the ratio and size (see `label(for:)`); capitals, cut to `longestLine` characters.
    package static func render(key: String, aspectRatio: String, imageSize: String?, lines: [String] = []) -> Data {
        let (width, height) = ModelCatalog.pixelSize(aspectRatio: aspectRatio, imageSize: imageSize)
        let seed = Array(key.utf8)
        func channel(_ i: Int) -> UInt8 {
            let hex = seed.count > 2 * i + 1 ? String(decoding: seed[(2 * i)...(2 * i + 1)], as: UTF8.self) : "80"
            return UInt8(128 + Int(UInt8(hex, radix: 16) ?? 128) / 2)
        }
        let background: [UInt8] = [channel(0), channel(1), channel(2)]
        let ink: [UInt8] = background.map { $0 / 3 }
        let border = max(2, min(width, height) / 64)
        let sizeLine = "\(aspectRatio) \(imageSize ?? "")".trimmingCharacters(in: .whitespaces)
        let text = (lines + [sizeLine]).map { line in
            let upper = line.uppercased()
            return upper.count > longestLine ? String(upper.prefix(longestLine - 2)) + ".." : upper
        }
        let glyphs = BitmapFont.rasterize(lines: text)
        let share = text.count > 1 ? (width * 5 / 6, height * 3 / 4) : (width * 2 / 3, height / 4)  // one line: as before labels
        let scale = max(1, min(share.0 / max(glyphs.width, 1), share.1 / glyphs.height))
        let textWidth = glyphs.width * scale
        let textHeight = glyphs.height * scale
        let textX = (width - textWidth) / 2
        let textY = (height - textHeight) / 2
        // A plate behind the text keeps it readable over the diagonals.
        let plate = scale * 2
        return PNGEncoder(width: width, height: height).encode { y, row in
            for x in 0..<width {
                var color = background
                let onFrame = x < border || y < border || x >= width - border || y >= height - border
                let onPlate =
                    text.count > 1 && y >= textY - plate && y < textY + textHeight + plate && x >= textX - plate
                    && x < textX + textWidth + plate
                let onDiagonal =
                    abs(x * height - y * width) < width * border / 2 || abs((width - 1 - x) * height - y * width) < width * border / 2
                let inText =
                    y >= textY && y < textY + textHeight && x >= textX && x < textX + textWidth
                    && glyphs.pixel((x - textX) / scale, (y - textY) / scale)
                if onFrame || inText {
                    color = ink
                } else if onDiagonal && !onPlate {
                    color = background.map { UInt8((Int($0) + Int(ink[0])) / 2) }
                }
                row[x * 3] = color[0]
                row[x * 3 + 1] = color[1]
                row[x * 3 + 2] = color[2]
            }
        }
    }
}
