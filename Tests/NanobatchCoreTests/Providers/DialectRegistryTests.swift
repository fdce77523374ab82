import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct DialectRegistryTests {
    @Test func namesAreUniqueAndInTheDocumentedOrder() {
        #expect(DialectRegistry.names == ["offline", "openai-images", "mountsea", "image-tasks", "evolink", "gemini"])
        #expect(Set(DialectRegistry.names).count == DialectRegistry.all.count)
    }

    @Test func looksUpByName() {
        #expect(DialectRegistry.dialect(named: "evolink")?.name == "evolink")
        #expect(DialectRegistry.dialect(named: "dalle") == nil)
    }

    @Test func namesAcceptingAnOptionFollowTheDeclarations() {
        #expect(DialectRegistry.names(accepting: .pollSeconds) == ["mountsea", "image-tasks", "evolink", "gemini"])
        #expect(DialectRegistry.names(accepting: .latencyMs) == ["offline"])
        #expect(DialectRegistry.names(accepting: .responseFormat) == ["openai-images"])
        #expect(DialectRegistry.names(accepting: .callbackURL) == ["evolink"])
    }
}
