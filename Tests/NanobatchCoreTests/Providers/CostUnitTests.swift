import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct CostUnitTests {
    @Test func unitsAreWrittenAsReportsShowThem() {
        #expect(CostUnit.usd.rawValue == "USD")
        #expect(CostUnit.credits.description == "credits")
        #expect(GenerationReceipt().costUnit == "USD")
        #expect(GenerationReceipt(unit: .credits).costUnit == "credits")
    }
}
