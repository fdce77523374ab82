import Foundation

/// What one model accepts through one dialect, and its list price per image.
public struct ModelSpec: Sendable, Equatable {
    public var id: String
    public var aspectRatios: [String]
    /// Image sizes the request can name; empty when the model has one fixed size.
    public var imageSizes: [String]
    public var formats: [ImageFormat]
    /// Hard reference-image limit where documented; `nil` when no limit is documented.
    public var maxReferences: Int?
    public var acceptsReferences: Bool
    /// USD per image by size ("" for any size); missing means unknown, never zero.
    public var prices: [String: Double]
    /// USD per million tokens, where the provider reports token usage (Gemini).
    public var tokenPrices: TokenPrices?
    /// A documented prompt length limit, in characters.
    public var maxPromptCharacters: Int?

    public init(id: String, aspectRatios: [String], imageSizes: [String] = [], formats: [ImageFormat] = [.png],
                maxReferences: Int? = nil, acceptsReferences: Bool = true, prices: [String: Double] = [:],
                tokenPrices: TokenPrices? = nil, maxPromptCharacters: Int? = nil) {
        self.tokenPrices = tokenPrices
        self.maxPromptCharacters = maxPromptCharacters
        self.id = id
        self.aspectRatios = aspectRatios
        self.imageSizes = imageSizes
        self.formats = formats
        self.maxReferences = maxReferences
        self.acceptsReferences = acceptsReferences
        self.prices = prices
    }

    public func price(size: String?) -> Double? {
        if let size, let price = prices[size] { return price }
        return prices[""]
    }
}

/// USD per million tokens (Google's Standard tier).
public struct TokenPrices: Sendable, Equatable {
    public var input: Double
    public var imageOutput: Double
    public var textOutput: Double
}

/// One HTTP API dialect: how it is reached and which models it serves.
public struct DialectSpec: Sendable {
    public var name: String
    public var defaultBaseURL: String?
    public var needsAPIKey: Bool
    /// References must be http(s) URLs (the dialect cannot upload local files).
    public var referencesMustBeURLs: Bool
    public var models: [ModelSpec]
    /// A template used for model names the table does not list (the offline dialect accepts any).
    public var anyModel: ModelSpec?

    public func model(_ id: String) -> ModelSpec? {
        if let spec = models.first(where: { $0.id == id }) { return spec }
        if var any = anyModel { any.id = id; return any }
        return nil
    }
}

/// The built-in table of dialects, models, capabilities and prices (see PROTOCOLS.md).
/// Prices are overridable from the manifest's `pricing`.
public enum ModelCatalog {
    public static let standardRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    public static let extendedRatios = standardRatios + ["1:4", "4:1", "1:8", "8:1"]
    public static let allSizes = ["0.5K", "1K", "2K", "4K"]

    static let flashImageTokens = TokenPrices(input: 0.30, imageOutput: 30, textOutput: 2.50)
    static let proImageTokens = TokenPrices(input: 2.00, imageOutput: 120, textOutput: 12)
    static let flash31ImageTokens = TokenPrices(input: 0.50, imageOutput: 60, textOutput: 3)

    public static let dialects: [DialectSpec] = [
        DialectSpec(
            name: "offline", defaultBaseURL: nil, needsAPIKey: false, referencesMustBeURLs: false, models: [],
            anyModel: ModelSpec(id: "*", aspectRatios: extendedRatios, imageSizes: allSizes, formats: [.png],
                                prices: ["": 0])),
        DialectSpec(
            name: "openai-images", defaultBaseURL: nil, needsAPIKey: true, referencesMustBeURLs: false,
            models: [
                ModelSpec(id: "nano-banana", aspectRatios: standardRatios),
                ModelSpec(id: "nano-banana-hd", aspectRatios: standardRatios),
                ModelSpec(id: "nano-banana-2", aspectRatios: standardRatios, imageSizes: ["1K", "2K", "4K"]),
            ]),
        DialectSpec(
            name: "mountsea", defaultBaseURL: "https://api.mountsea.ai", needsAPIKey: true, referencesMustBeURLs: true,
            models: [
                ModelSpec(id: "nano-banana-fast", aspectRatios: standardRatios),
                ModelSpec(id: "nano-banana-pro", aspectRatios: standardRatios, imageSizes: ["1K", "2K", "4K"]),
                ModelSpec(id: "nano-banana-2", aspectRatios: extendedRatios, imageSizes: ["1K", "2K", "4K"]),
            ]),
        DialectSpec(
            name: "image-tasks", defaultBaseURL: nil, needsAPIKey: true, referencesMustBeURLs: true,
            models: [ModelSpec(id: "NanoBanana", aspectRatios: standardRatios, formats: [.png, .jpeg, .webp])]
                + ["0.5K", "1K", "2K", "4K"].map {
                    ModelSpec(id: "NanoBanana2-\($0)", aspectRatios: standardRatios, formats: [.png, .jpeg])
                }
                + ["1K", "2K", "4K", "8K"].map {
                    ModelSpec(id: "NanoBananaPro-\($0)", aspectRatios: standardRatios, formats: [.png, .jpeg])
                }),
        DialectSpec(
            name: "evolink", defaultBaseURL: "https://api.evolink.ai", needsAPIKey: true, referencesMustBeURLs: true,
            models: [
                ModelSpec(id: "nano-banana-beta", aspectRatios: ["1:1", "2:3", "3:2", "4:3", "3:4", "16:9", "9:16"],
                          maxReferences: 5),
                ModelSpec(id: "gemini-2.5-flash-image", aspectRatios: ["1:1", "2:3", "3:2", "4:3", "3:4", "16:9", "9:16"],
                          maxReferences: 5, maxPromptCharacters: 1000),
            ]),
        DialectSpec(
            name: "gemini", defaultBaseURL: "https://generativelanguage.googleapis.com", needsAPIKey: true,
            referencesMustBeURLs: false,
            models: [
                ModelSpec(id: "gemini-2.5-flash-image", aspectRatios: standardRatios, prices: ["": 0.039],
                          tokenPrices: flashImageTokens),
                ModelSpec(id: "gemini-3-pro-image", aspectRatios: standardRatios, imageSizes: ["1K", "2K", "4K"],
                          maxReferences: 14, prices: ["1K": 0.134, "2K": 0.134, "4K": 0.24], tokenPrices: proImageTokens),
                ModelSpec(id: "gemini-3-pro-image-preview", aspectRatios: standardRatios, imageSizes: ["1K", "2K", "4K"],
                          maxReferences: 14, prices: ["1K": 0.134, "2K": 0.134, "4K": 0.24], tokenPrices: proImageTokens),
                ModelSpec(id: "gemini-3.1-flash-image", aspectRatios: extendedRatios, imageSizes: allSizes,
                          maxReferences: 14, prices: ["0.5K": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151],
                          tokenPrices: flash31ImageTokens),
                ModelSpec(id: "gemini-3.1-flash-image-preview", aspectRatios: extendedRatios, imageSizes: allSizes,
                          maxReferences: 14, prices: ["0.5K": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151],
                          tokenPrices: flash31ImageTokens),
                ModelSpec(id: "gemini-3.1-flash-lite-image", aspectRatios: standardRatios, imageSizes: ["1K"],
                          maxReferences: 14),
            ]),
    ]

    public static func dialect(_ name: String) -> DialectSpec? { dialects.first { $0.name == name } }
    public static var dialectNames: [String] { dialects.map(\.name) }

    /// Gemini's published pixel sizes: 2.5 Flash Image's table at 1K, the Gemini 3 table (×2, ×4) above it.
    public static func pixelSize(aspectRatio: String, imageSize: String?) -> (width: Int, height: Int) {
        let flash1K: [String: (Int, Int)] = [
            "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
            "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
            "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (384, 3072), "8:1": (3072, 384),
        ]
        let gemini3_1K: [String: (Int, Int)] = [
            "1:1": (1024, 1024), "2:3": (848, 1264), "3:2": (1264, 848), "3:4": (896, 1200), "4:3": (1200, 896),
            "4:5": (928, 1152), "5:4": (1152, 928), "9:16": (768, 1376), "16:9": (1376, 768), "21:9": (1584, 672),
            "1:4": (512, 2064), "4:1": (2064, 512), "1:8": (384, 3072), "8:1": (3072, 384),
        ]
        let base = gemini3_1K[aspectRatio] ?? (1024, 1024)
        switch imageSize {
        case "0.5K": return (base.0 / 2, base.1 / 2)
        case "2K": return (base.0 * 2, base.1 * 2)
        case "4K": return (base.0 * 4, base.1 * 4)
        default: return flash1K[aspectRatio] ?? base
        }
    }

    /// Whether a pixel size is more than 3 % off a requested ratio.
    public static func isOffRatio(width: Int, height: Int, ratio: String) -> Bool {
        guard let expected = ratioValue(ratio), width > 0, height > 0 else { return false }
        return abs(Double(width) / Double(height) / expected - 1) > 0.03
    }

    /// Width ÷ height of a ratio string such as "16:9".
    public static func ratioValue(_ ratio: String) -> Double? {
        let parts = ratio.split(separator: ":")
        guard parts.count == 2, let w = Double(parts[0]), let h = Double(parts[1]), w > 0, h > 0 else { return nil }
        return w / h
    }
}
