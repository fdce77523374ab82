import Foundation
import Testing

@testable import NanobatchCore

/// Counts read as English: "1 job", never "1 jobs".
@Suite(.timeLimit(.minutes(1))) struct CountWordingTests {
    @Test func oneJobIsOneJob() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "m.json", baseManifest(prompts: #"[ { "id": "hero", "text": "A red cube" } ]"#, ratios: #"["1:1"]"#, references: "[[]]"))
        let validate = await runCLI(["validate", manifest])
        #expect(validate.out.contains("valid — 1 job across 1 provider\n"), "\(validate.out)")
        let plan = await runCLI(["plan", manifest, "--output", workspace.outputRoot.path])
        #expect(plan.out.hasPrefix("Plan for test: 1 job — "), "\(plan.out)")
        let explain = await runCLI(["explain", manifest, "--output", workspace.outputRoot.path])
        #expect(explain.out.contains("1 of 1 job would be made"), "\(explain.out)")
        #expect(await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]).status == 0)
        let verify = await runCLI(["verify", manifest, "--output", workspace.outputRoot.path])
        #expect(verify.out == "test: 1 cached image checked, 0 corrupt\n", "\(verify.out)")
    }

    /// Providers that make jobs are counted, not every one declared.
    @Test func validateCountsTheProvidersInUse() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "m.json",
            baseManifest(
                providers: #"{ "local": { "dialect": "offline" }, "spare": { "dialect": "offline" } }"#, references: "[[]]"))
        let validate = await runCLI(["validate", manifest])
        #expect(validate.out.contains("valid — 4 jobs across 1 provider\n"), "\(validate.out)")
    }

    /// The offline provider charges nothing: an abandoned offline job is not "possibly paid".
    @Test func abandonedOfflineJobsAreNotPossiblyPaid() throws {
        let workspace = try TestWorkspace()
        let text = baseManifest(
            providers: #"{ "local": { "dialect": "offline" }, "g": { "dialect": "gemini", "apiKeyEnv": "K" } }"#,
            prompts: #"[ { "id": "hero", "text": "A red cube" } ]"#, ratios: #"["1:1"]"#,
            models: #"["local:nano-banana-2", "g:gemini-3.1-flash-image"]"#, references: "[[]]",
            extra: #", "pricing": { "local:nano-banana-2": 0.05 }"#)
        let manifest = try ManifestLoader.decode(Data(text.utf8), file: "m.json", directory: workspace.url)
        let jobs = Planner.expand(manifest).jobs
        let outcomes = jobs.map { _ in
            var outcome = JobOutcome(status: .failed, error: "interrupted")
            outcome.outcomeUnknown = true
            return outcome
        }
        #expect(RunSummary.possiblyPaid(jobs, outcomes) == " + up to $0.05 for 1 failed job that may have been paid")
    }

    /// The general usage shows the commands that take no manifest, too.
    @Test func usageShowsCommandsWithoutAManifest() {
        #expect(NanobatchCLI.usage.contains("nanobatch init [NAME] | schema | help [COMMAND]"))
    }

    @Test func pluralsStayPlural() {
        #expect(Plural.count(0, "job") == "0 jobs")
        #expect(Plural.count(2, "entry", "entries") == "2 entries")
    }
}

/// A key variable that is not set is said before `run`, by name only.
@Suite(.timeLimit(.minutes(1))) struct MissingKeyTests {
    @Test func validateAndPlanNameTheUnsetVariable() async throws {
        let workspace = try TestWorkspace()
        let manifest = try workspace.write(
            "m.json",
            baseManifest(
                providers: #"{ "g": { "dialect": "gemini", "apiKeyEnv": "NB_UNSET_KEY" } }"#, models: #"["g:gemini-3.1-flash-image"]"#,
                references: "[[]]"))
        for arguments in [["validate", manifest], ["plan", manifest, "--output", workspace.outputRoot.path]] {
            let result = await runCLI(arguments)
            #expect(result.status == 0, "\(result.err)")
            #expect(result.err.contains("reads its key from NB_UNSET_KEY, which is not set or empty"), "\(arguments[0]): \(result.err)")
        }
        let set = await runCLI(["validate", manifest], environment: ["NB_UNSET_KEY": "k"])
        #expect(set.err.isEmpty, "\(set.err)")
    }
}
