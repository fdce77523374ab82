import Foundation

/// What one model accepts through one dialect, and its list price per image.
package struct ModelSpec: Sendable, Equatable {
    package var id: String
    package var aspectRatios: [AspectRatio]
    /// Image sizes the request can name; empty when the model has one fixed size.
    package var imageSizes: [ImageSize]
    package var formats: [ImageFormat]
    /// Hard reference-image limit where documented; `nil` when no limit is documented.
    package var maxReferences: Int?
    package var acceptsReferences: Bool
    /// USD per image by size ("" for any size); missing means unknown, never zero.
    package var prices: [String: Double]
    /// USD per million tokens, where the provider reports token usage (Gemini).
    package var tokenPrices: TokenPrices?
    /// A documented prompt length limit, in characters.
    package var maxPromptCharacters: Int?
    /// When the provider shuts this id down and what replaces it; `nil` while it is served.
    package var retirement: Retirement?

    package init(
        id: String, aspectRatios: [AspectRatio], imageSizes: [ImageSize] = [], formats: [ImageFormat] = [.png],
        maxReferences: Int? = nil, acceptsReferences: Bool = true, prices: [String: Double] = [:],
        tokenPrices: TokenPrices? = nil, maxPromptCharacters: Int? = nil, retirement: Retirement? = nil
    ) {
        self.retirement = retirement
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

    package func price(size: ImageSize?) -> Double? {
        if let size, let price = prices[size.rawValue] { return price }
        return prices[""]
    }
}

/// USD per million tokens (Google's Standard tier).
package struct TokenPrices: Sendable, Equatable {
    package var input: Double
    package var imageOutput: Double
    package var textOutput: Double
}
