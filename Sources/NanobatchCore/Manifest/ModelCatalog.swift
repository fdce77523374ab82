import Foundation

/// What every dialect's model table draws on: the ratios and sizes nanobatch knows, and the pixel
/// maths. Each dialect's own models and prices live in its declaration (see `DialectRegistry`);
/// prices are overridable from the manifest's `pricing`.
package enum ModelCatalog {
    /// Every ratio nanobatch knows, as written (the schema's list).
    package static let extendedRatios = AspectRatio.extended.map(\.rawValue)
    /// Every size nanobatch knows, as written (the schema's list).
    package static let allSizes = ImageSize.names

    /// Gemini's published pixel sizes: 2.5 Flash Image's table at 1K, the Gemini 3 table (×2, ×4) above it.
    package static func pixelSize(aspectRatio: String, imageSize: String?) -> (width: Int, height: Int) {
        let flash1K: [String: (Int, Int)] = [
            "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
            "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
            "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (384, 3072), "8:1": (3072, 384),
        ]
        let gemini3OneK: [String: (Int, Int)] = [
            "1:1": (1024, 1024), "2:3": (848, 1264), "3:2": (1264, 848), "3:4": (896, 1200), "4:3": (1200, 896),
            "4:5": (928, 1152), "5:4": (1152, 928), "9:16": (768, 1376), "16:9": (1376, 768), "21:9": (1584, 672),
            "1:4": (512, 2064), "4:1": (2064, 512), "1:8": (384, 3072), "8:1": (3072, 384),
        ]
        let base = gemini3OneK[aspectRatio] ?? (1024, 1024)
        switch imageSize {
        case "0.5K": return (base.0 / 2, base.1 / 2)
        case "2K": return (base.0 * 2, base.1 * 2)
        case "4K": return (base.0 * 4, base.1 * 4)
        default: return flash1K[aspectRatio] ?? base
        }
    }

    /// Whether a pixel size is more than 3 % off a requested ratio.
    package static func isOffRatio(width: Int, height: Int, ratio: String) -> Bool {
        guard let expected = AspectRatio.value(of: ratio), width > 0, height > 0 else { return false }
        return abs(Double(width) / Double(height) / expected - 1) > 0.03
    }
}
