import Foundation
import Testing

@testable import NanobatchCore

/// The expansion stage on its own: which jobs a manifest makes, in which order, with which ids and edges.
@Suite(.timeLimit(.minutes(2))) struct PlannerTests {
    static func expand(_ json: String) throws -> JobGraph {
        Planner.expand(try ManifestLoader.decode(Data(json.utf8), file: "m.json", directory: URL(fileURLWithPath: "/nonexistent")))
    }

    static let manifest = """
        { "version": 1, "name": "m", "providers": { "a": { "dialect": "offline" } },
          "matrix": { "prompts": [ { "id": "hero", "text": "a cube" },
                                   { "id": "wide", "text": "a shelf", "aspectRatios": ["16:9"], "variants": 2 } ],
                      "aspectRatios": ["1:1", "16:9"], "models": ["a:m1", "a:m2"],
                      "references": [[], ["https://example.com/r.png"]] },
          "steps": [ { "id": "night", "from": "hero", "prompt": "at night", "models": ["a:m2"], "variants": 2 } ] }
        """

    @Test func promptsThenModelsRatiosReferenceSetsAndVariantsInOrder() throws {
        let ids = try Self.expand(Self.manifest).jobs.map(\.id)
        #expect(
            ids.prefix(8) == [
                "hero/a-m1_1x1_1K_refs1_v1", "hero/a-m1_1x1_1K_refs2_v1", "hero/a-m1_16x9_1K_refs1_v1", "hero/a-m1_16x9_1K_refs2_v1",
                "hero/a-m2_1x1_1K_refs1_v1", "hero/a-m2_1x1_1K_refs2_v1", "hero/a-m2_16x9_1K_refs1_v1", "hero/a-m2_16x9_1K_refs2_v1",
            ])
        #expect(
            ids[8..<16] == [
                "wide/a-m1_16x9_1K_refs1_v1", "wide/a-m1_16x9_1K_refs1_v2", "wide/a-m1_16x9_1K_refs2_v1", "wide/a-m1_16x9_1K_refs2_v2",
                "wide/a-m2_16x9_1K_refs1_v1", "wide/a-m2_16x9_1K_refs1_v2", "wide/a-m2_16x9_1K_refs2_v1", "wide/a-m2_16x9_1K_refs2_v2",
            ])
        #expect(ids.count == 16 + 8, "a step job per variant for each of hero's four a:m2 jobs")
    }

    @Test func stepsChainOnTheirSourceJobsOutput() throws {
        let graph = try Self.expand(Self.manifest)
        let night = graph.jobs.filter { $0.stepID == "night" }
        #expect(
            night.map(\.id) == [
                "night/a-m2_1x1_1K_refs1_v1_e1", "night/a-m2_1x1_1K_refs1_v1_e2", "night/a-m2_1x1_1K_refs2_v1_e1",
                "night/a-m2_1x1_1K_refs2_v1_e2",
                "night/a-m2_16x9_1K_refs1_v1_e1", "night/a-m2_16x9_1K_refs1_v1_e2", "night/a-m2_16x9_1K_refs2_v1_e1",
                "night/a-m2_16x9_1K_refs2_v1_e2",
            ])
        #expect(night.map { $0.upstream! } == [4, 4, 5, 5, 6, 6, 7, 7])
        #expect(graph.dependents[4] == night.prefix(2).map(\.index))
        #expect(night.allSatisfy { $0.promptText == "at night" && $0.references.isEmpty && $0.promptID == "hero" })
        #expect(graph.dependents[0].isEmpty)
    }

    @Test func jobsCarryTheirPromptModelAndReferences() throws {
        let job = try Self.expand(Self.manifest).jobs[1]
        #expect(job.promptText == "a cube" && job.provider == "a" && job.model == "m1" && job.aspectRatio == "1:1")
        #expect(job.references == [.url("https://example.com/r.png")])
        #expect(job.friendlyStem == job.id && job.imageSize == "1K", "the offline models take sizes: 1K when none is asked for")
    }
}
