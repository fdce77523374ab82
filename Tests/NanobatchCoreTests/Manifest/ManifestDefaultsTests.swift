import Foundation
import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct ManifestDefaultsTests {
    @Test func omittedFieldsTakeTheDefaults() throws {
        let json = #"""
            { "version": 1, "name": "d", "providers": { "local": { "dialect": "offline" } },
              "matrix": { "prompts": [ { "id": "a", "text": "x" } ], "aspectRatios": ["1:1"], "models": ["local:m"] },
              "steps": [ { "id": "s", "from": "a", "prompt": "y" } ] }
            """#
        let manifest = try ManifestLoader.decode(Data(json.utf8), file: "m.json", directory: FileManager.default.temporaryDirectory)
        #expect(manifest.concurrency == ManifestDefaults.concurrency)
        let provider = try #require(manifest.providers.first)
        #expect(provider.concurrency == ManifestDefaults.providerConcurrency)
        #expect(provider.deadlineSeconds == ManifestDefaults.deadlineSeconds)
        #expect(provider.latencyMilliseconds == ManifestDefaults.latencyMilliseconds)
        #expect(provider.retry == ManifestDefaults.retry)
        #expect(manifest.matrix.variants == ManifestDefaults.variants)
        #expect(manifest.matrix.format == ManifestDefaults.format)
        #expect(manifest.matrix.references == ManifestDefaults.referenceSets)
        #expect(manifest.steps.first?.variants == ManifestDefaults.variants)
    }

    @Test func providerConfigStartsFromTheSameDefaults() {
        let config = ProviderConfig(name: "p", dialect: "offline")
        #expect(config.concurrency == ManifestDefaults.providerConcurrency)
        #expect(config.deadlineSeconds == ManifestDefaults.deadlineSeconds)
        #expect(config.latencyMilliseconds == ManifestDefaults.latencyMilliseconds)
        #expect(config.retry == ManifestDefaults.retry)
    }

    @Test func defaultsAreTheDocumentedValues() {
        #expect(ManifestDefaults.concurrency == 16)
        #expect(ManifestDefaults.providerConcurrency == 4)
        #expect(ManifestDefaults.deadlineSeconds == 600)
        #expect(ManifestDefaults.variants == 1)
    }
}
