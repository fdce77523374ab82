import Foundation

/// `init [NAME]`: writes a commented starter manifest, `NAME.json` (default `nanobatch.json`), that
/// runs as it is with the offline provider (no key, no charge) and shows how to switch to Gemini.
/// Refuses to overwrite a file unless `--force`.
enum InitCommand {
    static let spec = CommandSpec(
        name: "init", summary: "write a commented starter manifest (offline provider; Gemini ready to switch on)",
        positionals: "[NAME]", options: [:], flags: ["force": "overwrite NAME.json if it exists"], minPositionals: 0,
        maxPositionals: 1)

    static let defaultName = "nanobatch"

    static func execute(_ parsed: ParsedArguments, _ cli: NanobatchCLI) throws -> ExitCode {
        let given = parsed.positionals.first ?? defaultName
        let path = given.hasSuffix(".json") ? given : given + ".json"
        let name = String(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
        guard ManifestLoader.isSafeID(name) else {
            throw UsageError(
                "\"\(name)\" cannot name a manifest; use letters, digits, '.', '_' and '-' (it names the output folder)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw UsageError("\(path) is a folder") }
            guard parsed.flags.contains("force") else {
                throw UsageError("\(path) already exists; pass --force to overwrite it")
            }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("no folder \(folder) to write \(path) in")
        }
        try BuildFailure.during("write \(path)", .noWork) {
            try Data(starter(name: name).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        cli.console.out(
            "wrote \(path): a starter manifest for the offline provider (no key, no charge)\n"
                + "next: nanobatch run \(path)\n")
        return .success
    }

    /// The manifest `init` writes: JSON with `//` comments.
    static func starter(name: String) -> String {
        """
        // nanobatch manifest: prompts × aspect ratios × models, made once and cached.
        // `nanobatch plan \(name).json` shows the jobs and their cost; `nanobatch run \(name).json` makes them.
        // For completion in your editor: `nanobatch schema > nanobatch.schema.json`, then add
        // "$schema": "./nanobatch.schema.json" below.
        {
          "version": 1,
          // Names the folder the images go in: <output>/\(name)/.
          "name": "\(name)",
          // The output root, relative to this file's folder.
          "output": "output",
          "providers": {
            // To use Gemini: uncomment the next line, set the key (export GEMINI_API_KEY=...),
            // and change "models" below to ["gemini:gemini-3.1-flash-image"].
            // "gemini": { "dialect": "gemini", "apiKeyEnv": "GEMINI_API_KEY", "concurrency": 2 },
            // Offline: makes placeholder images locally; no network, no key, no charge.
            "local": { "dialect": "offline" }
          },
          "matrix": {
            "prompts": [
              { "id": "hero", "text": "A small red cube on a clean white desk, soft daylight" },
              { "id": "shelf", "text": "A row of red cubes on a long white shelf, studio light" }
            ],
            "aspectRatios": ["1:1", "16:9"],
            "models": ["local:nano-banana-2"]
          },
          // USD per image, for the estimate `plan` prints (the offline provider charges nothing).
          "pricing": { "local:nano-banana-2": 0.039 },
          // `run` refuses to start when the estimate is above this, and stops before spending more.
          "budget": { "maxCost": 1 }
        }

        """
    }
}
