import Foundation

@testable import NanobatchCore

/// A manifest of 40 jobs for selector and shard tests: four prompts (two whose ids share a prefix),
/// two models at different prices, a chained step, and prompts in an order the caller chooses.
enum SelectionFixture {
    static let prompts = [
        #"{ "id": "hero", "text": "A red cube" }"#,
        #"{ "id": "hero-night", "text": "A red cube at night" }"#,
        #"{ "id": "shelf", "text": "A shelf of cubes", "variants": 3 }"#,
        #"{ "id": "box", "text": "A box", "models": ["local:n"] }"#,
    ]
    static let jobCount = 40

    static func manifest(promptOrder: [Int] = [0, 1, 2, 3], maxCost: Double? = nil) -> String {
        """
        { "version": 1, "name": "demo",
          "providers": { "local": { "dialect": "offline", "concurrency": 4 } },
          "pricing": { "local:m": 0.04, "local:n": 0.1 },
          \(maxCost.map { #""budget": { "maxCost": \#($0) },"# } ?? "")
          "matrix": { "prompts": [ \(promptOrder.map { prompts[$0] }.joined(separator: ", ")) ],
                      "aspectRatios": ["1:1", "16:9"], "models": ["local:m", "local:n"], "variants": 2 },
          "steps": [ { "id": "hero-edit", "from": "hero", "prompt": "Add snow" } ] }
        """
    }

    /// The evaluated plan of the manifest written into `workspace` (as `name`).
    static func plan(
        _ workspace: TestWorkspace, promptOrder: [Int] = [0, 1, 2, 3], name: String = "demo.json"
    ) throws -> (Build, EvaluatedPlan) {
        let path = try workspace.write(name, manifest(promptOrder: promptOrder))
        let build = try Build.load(manifestPath: path, outputOption: workspace.outputRoot.path)
        return (build, try build.plan())
    }
}
