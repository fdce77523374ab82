import Foundation

/// What one model accepts through one dialect, and its list price per image.
public struct ModelSpec: Sendable, Equatable {
    public var id: String
    public var aspectRatios: [AspectRatio]
    /// Image sizes the request can name; empty when the model has one fixed size.
    public var imageSizes: [ImageSize]
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

    public init(id: String, aspectRatios: [AspectRatio], imageSizes: [ImageSize] = [], formats: [ImageFormat] = [.png],
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

    public func price(size: ImageSize?) -> Double? {
        if let size, let price = prices[size.rawValue] { return price }
        return prices[""]
    }
}

/// USD per million tokens (Google's Standard tier).
public struct TokenPrices: Sendable, Equatable {
    public var input: Double
    public var imageOutput: Double
    public var textOutput: Double
}
