import Foundation

/// `exports`: the root, and for each path template its source and placeholders. A path must tell the
/// source's groups apart (so it names `{{ratio}}` when the source has several ratios, and each
/// variable with several values) and stay under its root.
extension ManifestValidator {
    mutating func validateExports(_ value: JSONValue?, matrix: Matrix?, steps: [Step], manifestName: String?) -> Exports {
        let path = JSONPath.root.key("exports")
        guard let fields = decoder.object(value, at: path, allowed: ManifestLoader.exportsKeys) else { return Exports() }
        let root = decoder.string("root", in: fields, at: path)
        if let root, root.isEmpty { problem(path.key("root"), "must not be empty") }
        let filesPath = path.key("files")
        guard let files = fields["files"] else {
            problem(filesPath, "missing required key \"files\"")
            return Exports(root: root)
        }
        guard let object = decoder.object(files, at: filesPath, allowed: files.objectValue?.keys ?? []) else { return Exports(root: root) }
        var rules: [Exports.Rule] = []
        for (written, sourceValue) in object.entries {
            let at = filesPath.key(written)
            guard case .string(let source) = sourceValue else {
                problem(at, "expected a prompt or step id, found \(sourceValue.typeName)")
                continue
            }
            let template: Template
            do {
                template = try Template(parsing: written)
            } catch {
                problem(at, error.message)
                continue
            }
            if let why = Exports.escapeProblem(
                template.render([:]).replacingOccurrences(of: "{{", with: "x").replacingOccurrences(of: "}}", with: "x"))
            {
                problem(at, why)
                continue
            }
            let first = written.split(separator: "/").first.map(String.init) ?? ""
            if root == nil, first.hasPrefix(".") || first == manifestName {
                problem(
                    at,
                    "\"\(first)/\" belongs to nanobatch (the store or the manifest's own folder, which `clean` tidies); export elsewhere")
                continue
            }
            if let matrix, !checkExportSource(source, template: template, at: at, matrix: matrix, steps: steps) { continue }
            rules.append(Exports.Rule(path: written, template: template, source: source))
        }
        return Exports(root: root, rules: rules)
    }

    /// The source exists, the placeholders are ones it has values for, and they tell its groups apart.
    private mutating func checkExportSource(_ source: String, template: Template, at: JSONPath, matrix: Matrix, steps: [Step]) -> Bool {
        // Follow the chain back to its prompt; the ratios are the prompt's, narrowed by each step.
        var current = source
        var ratioFilters: [[AspectRatio]] = []
        var visited = Set<String>()
        while matrix.prompts.first(where: { $0.id == current }) == nil {
            guard let step = steps.first(where: { $0.id == current }), visited.insert(current).inserted else {
                let ids = matrix.prompts.map(\.id) + steps.map(\.id)
                problem(at, "\"\(source)\" is neither a prompt id nor a step id\(Suggestion.hint(for: source, among: ids))")
                return false
            }
            if let ratios = step.aspectRatios { ratioFilters.append(ratios) }
            current = step.from
        }
        let prompt = matrix.prompts.first { $0.id == current }!
        let ratios = (prompt.aspectRatios ?? matrix.aspectRatios).filter { ratio in ratioFilters.allSatisfy { $0.contains(ratio) } }
        let used = (try? Template(parsing: prompt.text))?.names ?? []
        let allowed = ["prompt", "ratio"] + used
        var fine = true
        for name in template.names where !allowed.contains(name) {
            problem(
                at,
                "unknown placeholder {{\(name)}}\(Suggestion.hint(for: name, among: allowed)); \"\(source)\" has: \(ManifestDecoder.list(allowed))"
            )
            fine = false
        }
        var missing: [String] = []
        if ratios.count > 1 && !template.names.contains("ratio") { missing.append("ratio") }
        for variable in matrix.variables where used.contains(variable.name) && !template.names.contains(variable.name) {
            if (prompt.variables[variable.name] ?? variable.values).count > 1 { missing.append(variable.name) }
        }
        if !missing.isEmpty {
            problem(
                at,
                "\"\(source)\" has several \(ManifestDecoder.list(missing)) values, so several groups would share this file; add \(missing.map { "{{\($0)}}" }.joined(separator: ", "))"
            )
            fine = false
        }
        return fine
    }
}
