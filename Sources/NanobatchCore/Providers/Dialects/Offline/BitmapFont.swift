import Foundation

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
