import Foundation
import Testing

@testable import NanobatchCore

/// `reroll` through the real executable with the offline provider: a new take of the selected job,
/// the others untouched, the earlier take kept in the store, and the takes file beside the manifest.
@Suite(.timeLimit(.minutes(1))) struct RerollTests {
    static let manifest = """
        { "version": 1, "name": "shop", "providers": { "local": { "dialect": "offline" } },
          "matrix": { "variables": { "product": ["mug", "tote bag"] },
                      "prompts": [ { "id": "hero", "text": "A {{product}} on a table" } ],
                      "aspectRatios": ["1:1"], "models": ["local:nano-banana-2"], "imageSize": "0.5K", "variants": 2 },
          "steps": [ { "id": "night", "from": "hero", "prompt": "The {{product}} at night" } ] }
        """
    static let rerolled = "hero/mug_local-nano-banana-2_1x1_0.5K_v2"

    func keys(_ workspace: TestWorkspace) throws -> [String: String] {
        var keys: [String: String] = [:]
        for row in try readIndex(workspace, manifest: "shop").jobRows {
            if let id = row["id"]?.stringValue, let key = row["key"]?.stringValue { keys[id] = key }
        }
        return keys
    }

    func image(_ workspace: TestWorkspace, _ id: String) throws -> Data {
        try Data(contentsOf: workspace.outputRoot.appendingPathComponent("shop/\(id).png"))
    }

    @Test func aRerollMakesANewTakeOfTheSelectedJobOnly() throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let workspace = try TestWorkspace()
        try workspace.write("shop.json", Self.manifest)
        let first = try runExecutable(executable, ["run", "shop.json", "--quiet"], in: workspace.url)
        #expect(first.status == 0, "\(first.output)")
        let before = try keys(workspace)
        let imageBefore = try image(workspace, Self.rerolled)
        let storedBefore = Set(workspace.storedImages())

        let reroll = try runExecutable(executable, ["reroll", "shop.json", Self.rerolled, "--quiet"], in: workspace.url)
        #expect(reroll.status == 0, "\(reroll.output)")
        #expect(reroll.output.contains("\(Self.rerolled): take 2"), "\(reroll.output)")
        let after = try keys(workspace)
        let statusByID = statuses(try readIndex(workspace, manifest: "shop"))
        // The selected job and the step job made from it are new; every other job kept its key and stayed cached.
        let dependent = "night/mug_local-nano-banana-2_1x1_0.5K_v2"
        #expect(after[Self.rerolled] != before[Self.rerolled])
        #expect(after[dependent] != before[dependent])
        for id in before.keys where id != Self.rerolled && id != dependent {
            #expect(after[id] == before[id], "\(id)")
            #expect(statusByID[id] == "cached", "\(id)")
        }
        #expect(statusByID[Self.rerolled] == "made")
        #expect(try image(workspace, Self.rerolled) != imageBefore)
        // The diff says why: a re-roll, not an unexplained key change.
        let remade = try readIndex(workspace, manifest: "shop")["diff"]?["madeAgain"]?.arrayValue ?? []
        let reason = remade.first { $0["id"]?.stringValue == Self.rerolled }?["reason"]?.stringValue
        #expect(reason == "re-rolled: take 1 → 2", "\(remade)")
        // Take 1 is still in the store, beside take 2.
        let storedAfter = Set(workspace.storedImages())
        #expect(storedBefore.isSubset(of: storedAfter))
        #expect(storedAfter.contains { $0.contains(before[Self.rerolled] ?? "?") })
        #expect(storedAfter.contains { $0.contains(after[Self.rerolled] ?? "?") })

        let takesFile = try String(contentsOf: workspace.url.appendingPathComponent("shop.takes.json"), encoding: .utf8)
        #expect(
            takesFile == """
                {
                  "version": 1,
                  "jobs": {
                    "hero/mug_local-nano-banana-2_1x1_0.5K_v2": { "take": 2 }
                  }
                }

                """)

        // A second reroll of the prompt selects all its jobs; a plain run afterwards changes nothing.
        let all = try runExecutable(executable, ["reroll", "shop.json", "hero", "--quiet"], in: workspace.url)
        #expect(all.status == 0, "\(all.output)")
        let takes = try Takes.read(path: workspace.url.appendingPathComponent("shop.takes.json").path)
        #expect(takes.take(of: Self.rerolled) == 3)
        #expect(takes.take(of: "hero/tote-bag_local-nano-banana-2_1x1_0.5K_v1") == 2)
        let again = try runExecutable(executable, ["run", "shop.json", "--quiet"], in: workspace.url)
        #expect(again.status == 0, "\(again.output)")
        #expect(statuses(try readIndex(workspace, manifest: "shop")).values.allSatisfy { $0 == "cached" })
    }

    @Test func anUnknownSelectorIsAUsageErrorAndWritesNothing() throws {
        let executable = try #require(nanobatchExecutable(), "build the nanobatch executable first (swift build)")
        let workspace = try TestWorkspace()
        try workspace.write("shop.json", Self.manifest)
        let result = try runExecutable(executable, ["reroll", "shop.json", "hreo"], in: workspace.url)
        #expect(result.status == ExitCode.usage.rawValue)
        #expect(result.output.contains(#"error: no job "hreo" in shop (did you mean "hero"?)"#), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: workspace.url.appendingPathComponent("shop.takes.json").path))
    }
}
