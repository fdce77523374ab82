import Foundation

/// Manifest rules: the parsed JSON tree in, a `Manifest` out, with every problem recorded (with its
/// path) instead of stopping at the first. Shapes and types are read by `ManifestDecoder`; the
/// rules live here by section: providers, matrix, capabilities, steps, pricing, reference files.
struct ManifestValidator {
    /// The manifest's folder: relative reference files resolve against it.
    let directory: URL
    var decoder = ManifestDecoder()
    /// The UTC day model retirements are judged on (`YYYY-MM-DD`).
    let today: String

    init(directory: URL, today: String = Retirement.today()) {
        self.directory = directory
        self.today = today
    }

    /// Errors and warnings, in the order found.
    var issues: [ManifestIssue] { decoder.issues }
    var hasErrors: Bool { decoder.issues.contains { $0.severity == .error } }

    mutating func problem(_ path: JSONPath, _ message: String) {
        decoder.problem(path, message)
    }

    mutating func warning(_ path: JSONPath, _ message: String) {
        decoder.warning(path, message)
    }

    /// The whole document; `nil` when it is too broken to build a `Manifest` (the issues say why).
    mutating func validate(_ root: JSONValue) -> Manifest? {
        guard let top = decoder.object(root, at: .root, allowed: ManifestLoader.topLevelKeys) else { return nil }
        let version = decoder.integer("version", in: top, at: .root, range: 1...1_000_000, required: true)
        if let version, version != Manifest.currentVersion {
            problem(.root.key("version"), "\(version) is not supported; this nanobatch reads version \(Manifest.currentVersion)")
        }
        let name = decoder.string("name", in: top, at: .root, required: true)
        if let name, !ManifestLoader.isSafeID(name) {
            problem(.root.key("name"), "\"\(name)\" is not a safe name; use letters, digits, '.', '_' and '-' (no '..', no '/')")
        }
        let output = decoder.string("output", in: top, at: .root)
        if let output, output.isEmpty { problem(.root.key("output"), "must not be empty") }
        let concurrency = decoder.integer("concurrency", in: top, at: .root, range: 1...1024) ?? ManifestDefaults.concurrency
        let providers = validateProviders(top["providers"])
        let matrix = validateMatrix(top["matrix"], providers: providers)
        // Prompt ids as written, also of prompts with errors of their own: a step naming one is not wrong too.
        let writtenPromptIDs = Set(top["matrix"]?["prompts"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
        let steps = validateSteps(top["steps"], providers: providers, matrix: matrix, writtenPromptIDs: writtenPromptIDs)
        let pricing = validatePricing(top["pricing"], providers: providers)
        let budget = validateBudget(top["budget"])
        checkTemplates(top, variables: matrix?.variables ?? [])
        let exports = validateExports(top["exports"], matrix: matrix, steps: steps, manifestName: name)
        let store = validateStore(top["store"])
        guard let name, let matrix else { return nil }
        checkExpansion(matrix, steps: steps)
        return Manifest(
            version: version ?? Manifest.currentVersion, name: name, directory: directory, output: output,
            concurrency: concurrency, providers: providers, matrix: matrix, steps: steps,
            pricing: pricing, budget: budget, exports: exports, store: store)
    }

    mutating func validateBudget(_ value: JSONValue?) -> Budget? {
        let path = JSONPath.root.key("budget")
        guard let fields = decoder.object(value, at: path, allowed: ManifestLoader.budgetKeys) else { return nil }
        // 0 is allowed: spend nothing, use only cached images (as `--max-cost 0`).
        if let maxCost = decoder.number("maxCost", in: fields, at: path, minimum: 0, exclusive: false) {
            return Budget(maxCost: maxCost)
        }
        if fields["maxCost"] == nil { problem(path.key("maxCost"), "missing required key \"maxCost\"") }
        return nil
    }
}
