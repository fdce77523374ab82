import Foundation

/// `matrix.variables` and the `{{name}}` placeholders of prompt and step text. The rule: a prompt's
/// jobs multiply by the values of the variables its own text uses, and by no other; a step's jobs
/// take the values of their source job, so a step may only use variables its source prompt uses.
extension ManifestValidator {
    /// Names export paths use for other things, so no variable may take them.
    static let reservedVariableNames = ["prompt", "step", "ratio", "model", "variant", "take"]

    /// `matrix.variables`: name → non-empty list of distinct values whose slugs are distinct and not empty.
    mutating func validateVariables(_ value: JSONValue?, at path: JSONPath) -> [TemplateVariable] {
        guard let value else { return [] }
        guard case .object(let object) = value else {
            problem(path, "expected an object of variable name → list of values, found \(value.typeName)")
            return []
        }
        var variables: [TemplateVariable] = []
        for (name, list) in object.entries {
            let at = path.key(name)
            if !Template.isName(name) {
                problem(at, "\"\(name)\" is not a variable name; use letters, digits and '_', starting with a letter or '_'")
                continue
            }
            if ManifestValidator.reservedVariableNames.contains(name) {
                problem(at, "\"\(name)\" is reserved (export paths use {{\(name)}}); choose another name")
                continue
            }
            guard let values = decoder.stringArray(list, at: at, nonEmpty: true) else { continue }
            var slugs: [String: String] = [:]
            for (index, text) in values.enumerated() {
                let slug = Template.slug(text)
                if slug.isEmpty {
                    problem(at.index(index), "\"\(text)\" has no letter or digit to name its jobs and files by")
                } else if let earlier = slugs[slug] {
                    problem(at.index(index), "\"\(text)\" and \"\(earlier)\" both name their jobs \"\(slug)\"")
                } else {
                    slugs[slug] = text
                }
            }
            variables.append(TemplateVariable(name: name, values: values))
        }
        return variables
    }

    /// A prompt's `variables`: name → the subset of the matrix's values it uses.
    mutating func validatePromptVariables(
        _ value: JSONValue?, at path: JSONPath, matrixVariables: [TemplateVariable]
    ) -> [String: [String]] {
        guard let value else { return [:] }
        guard case .object(let object) = value else {
            problem(path, "expected an object of variable name → list of values, found \(value.typeName)")
            return [:]
        }
        var narrowed: [String: [String]] = [:]
        for (name, list) in object.entries {
            let at = path.key(name)
            guard let variable = matrixVariables.first(where: { $0.name == name }) else {
                let names = matrixVariables.map(\.name)
                problem(at, "\"\(name)\" is not in matrix.variables\(Suggestion.hint(for: name, among: names))\(declared(names))")
                continue
            }
            guard let values = decoder.stringArray(list, at: at, nonEmpty: true) else { continue }
            var seen = Set<String>()
            for (index, text) in values.enumerated() {
                if !variable.values.contains(text) {
                    problem(
                        at.index(index),
                        "\"\(text)\" is not a value of matrix.variables.\(name) (a prompt can only narrow them)\(Suggestion.hint(for: text, among: variable.values))"
                    )
                } else if !seen.insert(text).inserted {
                    problem(at.index(index), "\"\(text)\" is listed twice")
                }
            }
            narrowed[name] = values.filter { variable.values.contains($0) }
        }
        return narrowed
    }

    /// Every placeholder names a variable (a step's: one its source prompt uses), a prompt narrows only
    /// variables its text uses, and every variable is used somewhere. Reads the texts as written, so each
    /// problem has its own path even when other fields of the prompt or step are wrong.
    mutating func checkTemplates(_ top: JSONObject, variables: [TemplateVariable]) {
        let names = variables.map(\.name)
        var used = Set<String>()
        var promptNames: [String: [String]] = [:]
        let promptsPath = JSONPath.root.key("matrix").key("prompts")
        for (index, item) in (top["matrix"]?["prompts"]?.arrayValue ?? []).enumerated() {
            guard let text = item["text"]?.stringValue else { continue }
            let path = promptsPath.index(index)
            let placeholders = checkPlaceholders(text, at: path.key("text"), allowed: names, variableNames: names)
            used.formUnion(placeholders)
            if let id = item["id"]?.stringValue { promptNames[id] = placeholders }
            for name in item["variables"]?.objectValue?.keys ?? [] where names.contains(name) && !placeholders.contains(name) {
                problem(path.key("variables").key(name), "the prompt's text does not use {{\(name)}}, so it cannot narrow it")
            }
        }
        let steps = top["steps"]?.arrayValue ?? []
        let sources = Dictionary(
            steps.compactMap { step in step["id"]?.stringValue.flatMap { id in step["from"]?.stringValue.map { (id, $0) } } },
            uniquingKeysWith: { first, _ in first })
        for (index, item) in steps.enumerated() {
            guard let text = item["prompt"]?.stringValue else { continue }
            // The prompt at the start of the chain gives the step's jobs their values.
            var source = item["from"]?.stringValue
            var visited = Set<String>()
            while let current = source, promptNames[current] == nil, visited.insert(current).inserted { source = sources[current] }
            let bound = source.flatMap { promptNames[$0] }
            let path = JSONPath.root.key("steps").index(index).key("prompt")
            used.formUnion(checkPlaceholders(text, at: path, allowed: bound ?? names, variableNames: names, sourcePrompt: source))
        }
        for name in names where !used.contains(name) {
            problem(
                JSONPath.root.key("matrix").key("variables").key(name),
                "unused variable: no prompt or step text has {{\(name)}}; use it or remove it")
        }
    }

    /// The placeholders of `text`, each checked against `allowed`; problems at `path`.
    private mutating func checkPlaceholders(
        _ text: String, at path: JSONPath, allowed: [String], variableNames: [String], sourcePrompt: String? = nil
    ) -> [String] {
        let template: Template
        do {
            template = try Template(parsing: text)
        } catch {
            problem(path, error.message)
            return []
        }
        for name in template.names where !allowed.contains(name) {
            if variableNames.contains(name), let sourcePrompt {
                problem(path, "{{\(name)}}: prompt \"\(sourcePrompt)\" does not use it, so this step's jobs have no value for it")
            } else {
                problem(
                    path,
                    "unknown placeholder {{\(name)}}\(Suggestion.hint(for: name, among: variableNames))\(declared(variableNames))")
            }
        }
        return template.names
    }

    private func declared(_ names: [String]) -> String {
        names.isEmpty ? "; declare it in matrix.variables" : "; variables: \(ManifestDecoder.list(names))"
    }
}
