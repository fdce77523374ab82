import Foundation
import Testing

@testable import NanobatchCore

/// `{{name}}` placeholders and `matrix.variables`: expansion, ids, validation with positions, keys.
@Suite(.timeLimit(.minutes(1))) struct TemplateTests {
    static func manifest(variables: String, prompts: String, steps: String = "") -> String {
        """
        { "version": 1, "name": "shop", "providers": { "local": { "dialect": "offline" } },
          "matrix": {
            "variables": \(variables),
            "prompts": \(prompts),
            "aspectRatios": ["1:1", "16:9"], "models": ["local:nano-banana-2"] }\(steps) }
        """
    }

    static let shop = manifest(
        variables: #"{ "product": ["mug", "Tote Bag"], "season": ["spring", "winter"] }"#,
        prompts: #"""
            [ { "id": "hero", "text": "A {{product}} in {{ season }}", "variables": { "season": ["winter"] }, "aspectRatios": ["16:9"] },
              { "id": "shelf", "text": "A shelf of {{product}}s" },
              { "id": "plain", "text": "An empty shop" } ]
            """#,
        steps: #", "steps": [ { "id": "night", "from": "hero", "prompt": "The {{product}} at night" } ]"#)

    static func load(_ json: String) throws -> Manifest {
        try ManifestLoader.decode(Data(json.utf8), file: "m.json", directory: URL(fileURLWithPath: "/nonexistent"))
    }

    /// The rendered `file:line:column: error: path: message` lines of a manifest that must not load.
    static func errors(_ json: String) throws -> String {
        do {
            _ = try load(json)
        } catch let error as ManifestError {
            return error.description
        }
        Issue.record("the manifest loaded")
        return ""
    }

    @Test func onlyTheVariablesAPromptUsesMultiplyItsJobs() throws {
        let jobs = Planner.expand(try Self.load(Self.shop)).jobs
        let byGroup = Dictionary(grouping: jobs, by: \.group)
        // hero: product (2) × season narrowed to winter (1) × one ratio; shelf: product (2) × 2 ratios; plain: 2 ratios.
        #expect(
            byGroup["hero"]?.map(\.id) == [
                "hero/mug_winter_local-nano-banana-2_16x9_1K_v1", "hero/tote-bag_winter_local-nano-banana-2_16x9_1K_v1",
            ])
        #expect(byGroup["hero"]?.map(\.promptText) == ["A mug in winter", "A Tote Bag in winter"])
        #expect(byGroup["shelf"]?.count == 4)
        #expect(byGroup["shelf"]?.allSatisfy { $0.variables.map(\.name) == ["product"] } == true)
        #expect(byGroup["plain"]?.map(\.id) == ["plain/local-nano-banana-2_1x1_1K_v1", "plain/local-nano-banana-2_16x9_1K_v1"])
        #expect(byGroup["plain"]?.allSatisfy { $0.variables.isEmpty } == true)
        // A step's jobs take their source job's values.
        #expect(byGroup["night"]?.map(\.promptText) == ["The mug at night", "The Tote Bag at night"])
        #expect(byGroup["night"]?.first?.friendlyStem == "night/mug_winter_local-nano-banana-2_16x9_1K_v1")
        #expect(byGroup["night"]?.last?.variables.map(\.value) == ["Tote Bag", "winter"])
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var manifest: String
        /// One line of the rendered errors.
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "unknown placeholder",
            manifest: manifest(variables: #"{ "product": ["mug"] }"#, prompts: #"[ { "id": "a", "text": "A {{prodct}} {{product}}" } ]"#),
            expected:
                #"m.json:4:31: error: matrix.prompts[0].text: unknown placeholder {{prodct}} (did you mean "product"?); variables: product"#
        ),
        Case(
            name: "unused variable",
            manifest: manifest(
                variables: #"{ "product": ["mug"], "season": ["winter"] }"#, prompts: #"[ { "id": "a", "text": "A {{product}}" } ]"#),
            expected:
                "m.json:3:40: error: matrix.variables.season: unused variable: no prompt or step text has {{season}}; use it or remove it"),
        Case(
            name: "placeholder without variables",
            manifest: manifest(variables: "{}", prompts: #"[ { "id": "a", "text": "A {{product}}" } ]"#),
            expected: "m.json:4:31: error: matrix.prompts[0].text: unknown placeholder {{product}}; declare it in matrix.variables"),
        Case(
            name: "narrowing a variable the text does not use",
            manifest: manifest(
                variables: #"{ "product": ["mug", "cup"] }"#,
                prompts: #"[ { "id": "a", "text": "A {{product}}" }, { "id": "b", "text": "B", "variables": { "product": ["mug"] } } ]"#),
            expected:
                "m.json:4:99: error: matrix.prompts[1].variables.product: the prompt's text does not use {{product}}, so it cannot narrow it"
        ),
        Case(
            name: "narrowing to a value the matrix lacks",
            manifest: manifest(
                variables: #"{ "product": ["mug", "cup"] }"#,
                prompts: #"[ { "id": "a", "text": "A {{product}}", "variables": { "product": ["mgu"] } } ]"#),
            expected:
                #"m.json:4:83: error: matrix.prompts[0].variables.product[0]: "mgu" is not a value of matrix.variables.product (a prompt can only narrow them) (did you mean "mug"?)"#
        ),
        Case(
            name: "step placeholder its prompt does not bind",
            manifest: manifest(
                variables: #"{ "product": ["mug"], "season": ["winter"] }"#,
                prompts: #"[ { "id": "a", "text": "A {{product}}" }, { "id": "b", "text": "B {{season}}" } ]"#,
                steps: #", "steps": [ { "id": "n", "from": "a", "prompt": "{{season}} night" } ]"#),
            expected:
                #"m.json:5:112: error: steps[0].prompt: {{season}}: prompt "a" does not use it, so this step's jobs have no value for it"#),
        Case(
            name: "values that name their jobs alike",
            manifest: manifest(
                variables: #"{ "product": ["Tote bag", "tote-bag"] }"#, prompts: #"[ { "id": "a", "text": "A {{product}}" } ]"#),
            expected: #"m.json:3:44: error: matrix.variables.product[1]: "tote-bag" and "Tote bag" both name their jobs "tote-bag""#),
        Case(
            name: "reserved name",
            manifest: manifest(variables: #"{ "ratio": ["wide"] }"#, prompts: #"[ { "id": "a", "text": "A {{ratio}}" } ]"#),
            expected: #"m.json:3:20: error: matrix.variables.ratio: "ratio" is reserved (export paths use {{ratio}}); choose another name"#),
        Case(
            name: "unclosed placeholder",
            manifest: manifest(variables: #"{ "product": ["mug"] }"#, prompts: #"[ { "id": "a", "text": "A {{product}} {{oops" } ]"#),
            expected: #"m.json:4:31: error: matrix.prompts[0].text: "{{" without its closing "}}""#),
    ]

    @Test(arguments: cases)
    func validationErrorsNameTheirPathAndPosition(_ check: Case) throws {
        let errors = try Self.errors(check.manifest)
        #expect(errors.split(separator: "\n").contains { $0 == check.expected }, "\(errors)")
    }

    /// The key hashes the resolved text: a templated prompt and the same text written out share it, and
    /// take 1 is the key nanobatch computed before takes existed (this value is from the version before).
    @Test func theKeyDependsOnTheResolvedTextAndOnTakesAboveOne() throws {
        let plain = #"[ { "id": "hero", "text": "A mug on a table" } ]"#
        let templated = #"[ { "id": "hero", "text": "A {{product}} on a table" } ]"#
        func keys(_ json: String) throws -> [String] {
            let graph = Planner.expand(try Self.load(json))
            let plan = try PlanEvaluator.evaluate(
                graph, store: ContentStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("nanobatch-none-\(UUID())")))
            return plan.states.compactMap(\.key)
        }
        let base =
            #"{ "version": 1, "name": "k", "providers": { "local": { "dialect": "offline" } }, "matrix": { "prompts": PROMPTS, "aspectRatios": ["1:1"], "models": ["local:nano-banana-2"] VARS } }"#
        let plainKeys = try keys(base.replacingOccurrences(of: "PROMPTS", with: plain).replacingOccurrences(of: "VARS", with: ""))
        let templatedKeys = try keys(
            base.replacingOccurrences(of: "PROMPTS", with: templated).replacingOccurrences(
                of: "VARS", with: #", "variables": { "product": ["mug"] }"#))
        #expect(plainKeys == ["0a8e41cdb832db3706652596254ed15bbc84ddc0a2628d60dd1de0fe147816de"])
        #expect(templatedKeys == plainKeys)

        var job = Planner.expand(
            try Self.load(base.replacingOccurrences(of: "PROMPTS", with: plain).replacingOccurrences(of: "VARS", with: ""))
        ).jobs[0]
        let takeOne = ContentKey.compute(job: job, referenceHashes: [], upstreamOutputHash: nil)
        job.take = 2
        let takeTwo = ContentKey.compute(job: job, referenceHashes: [], upstreamOutputHash: nil)
        #expect(takeOne == plainKeys[0])
        #expect(takeTwo != takeOne)
    }
}
