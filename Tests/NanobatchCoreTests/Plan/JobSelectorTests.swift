import Foundation
import Testing

@testable import NanobatchCore

/// Which jobs `run M [SELECTOR…]` names, and what a run of them takes along.
@Suite(.timeLimit(.minutes(1))) struct JobSelectorTests {
    static func selected(_ selectors: [String], _ plan: EvaluatedPlan) throws -> Set<String> {
        Set(try JobSelector.select(selectors.map(JobSelector.init), in: plan.graph).map { plan.graph.jobs[$0].id })
    }

    @Test func aPromptIdIsExactNotAPrefix() throws {
        let workspace = try TestWorkspace()
        let (_, plan) = try SelectionFixture.plan(workspace)
        let hero = try Self.selected(["hero"], plan)
        #expect(hero.count == 8)
        #expect(hero.allSatisfy { $0.hasPrefix("hero/") })
        #expect(try Self.selected(["hero/"], plan) == hero)
        #expect(try Self.selected(["hero-night"], plan).allSatisfy { $0.hasPrefix("hero-night/") })
    }

    @Test func aJobIdPrefixAGlobAndAFileNameSelect() throws {
        let workspace = try TestWorkspace()
        let (_, plan) = try SelectionFixture.plan(workspace)
        let first = try #require(plan.graph.jobs.first { $0.promptID == "shelf" && $0.stepID == nil })
        #expect(try Self.selected([first.id], plan) == [first.id])
        let model = String(first.id.prefix { $0 != "_" })  // "shelf/local-m"
        #expect(try Self.selected([model], plan).count == 6)
        #expect(try Self.selected(["shelf/*_v3"], plan).count == 4)
        #expect(try Self.selected(["*/local-n_*_v?"], plan).count == 22)
        let file = "\(first.friendlyStem).png"
        #expect(try Self.selected([file], plan) == [first.id])
        #expect(try Self.selected(["output/demo/\(file)"], plan) == [first.id])
        #expect(try Self.selected(["shelf", "box"], plan).count == 16)
    }

    @Test func aWholeJobIdNamesThatJobEvenWhenItIsAPrefixOfAnother() throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write("v.json", baseManifest(references: "[[]]", matrixExtra: #", "variants": 12"#))
        let graph = Planner.expand(try ManifestLoader.load(path: path))
        let first = try #require(graph.jobs.first { $0.id.hasSuffix("_v1") })
        #expect(graph.jobs.contains { $0.id == first.id + "0" }, "the manifest has a _v10 job")
        #expect(try JobSelector.named(by: [JobSelector(first.id)], in: graph) == [first.index])
    }

    @Test func aChainedStepTakesItsSourceJobAlong() throws {
        let workspace = try TestWorkspace()
        let (_, plan) = try SelectionFixture.plan(workspace)
        let edit = try #require(plan.graph.jobs.first { $0.stepID == "hero-edit" })
        let source = plan.graph.jobs[try #require(edit.upstream)]
        #expect(try Self.selected([edit.id], plan) == [edit.id, source.id])
        #expect(try Self.selected(["hero-edit"], plan).count == 16)
        #expect(try JobSelector.named(by: [JobSelector(edit.id)], in: plan.graph) == [edit.index])
    }

    @Test func aSelectorThatMatchesNothingSuggestsACloseName() throws {
        let workspace = try TestWorkspace()
        let (_, plan) = try SelectionFixture.plan(workspace)
        #expect {
            try Self.selected(["heor"], plan)
        } throws: { error in
            let message = (error as? UsageError)?.message ?? ""
            return message.contains(#"no job "heor" in demo (did you mean "hero"?)"#) && message.contains("hero-night")
        }
        #expect {
            try Self.selected(["shel"], plan)
        } throws: { ($0 as? UsageError)?.message.contains(#"did you mean "shelf"?"#) == true }
        #expect(throws: UsageError.self) { try Self.selected(["hero", "nothing/*"], plan) }
    }

    @Test(arguments: [
        ("a*c", "abc", true), ("a*c", "abd", false), ("*", "", true), ("a?c", "abc", true), ("a?c", "ac", false),
        ("*b*", "aaabaaa", true), ("a*b*c", "axbyc", true), ("a*b*c", "axbyd", false),
    ])
    func globs(pattern: String, text: String, matches: Bool) {
        #expect(JobSelector.glob(Array(pattern.unicodeScalars), Array(text.unicodeScalars)) == matches)
    }

    /// The share's own plan: a job that repeated a request of a job left out now makes it itself.
    @Test func aShareRenumbersItsJobsAndOwnsItsRequests() throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write(
            "twins.json",
            """
            { "version": 1, "name": "twins", "providers": { "local": { "dialect": "offline" } },
              "matrix": { "prompts": [ { "id": "a", "text": "same" }, { "id": "b", "text": "same" } ],
                          "aspectRatios": ["1:1"], "models": ["local:m"] },
              "steps": [ { "id": "b-edit", "from": "b", "prompt": "edit" } ] }
            """)
        let whole = try Build.load(manifestPath: path, outputOption: workspace.outputRoot.path).plan()
        #expect(whole.states[1].kind == .duplicate)
        let share = try PlanShare(whole, selectors: [JobSelector("b-edit")], shard: nil)
        #expect(share.plan.graph.jobs.map(\.id) == whole.graph.jobs[1...].map(\.id))
        #expect(share.wholeIndex == [1, 2])
        #expect(share.plan.states.map(\.kind) == [.toMake, .blocked])
        #expect(share.plan.graph.jobs[1].upstream == 0)
        #expect(share.plan.graph.dependents == [[1], []])
        let outcomes = share.outcomesOfWhole([JobOutcome(status: .made), JobOutcome(status: .made)])
        #expect(outcomes.map(\.status) == [.notSelected, .made, .made])
    }
}
