import Foundation

/// `steps`: chained edits, their sources, cycles, and what their models must accept.
extension ManifestValidator {
    mutating func validateSteps(
        _ value: JSONValue?, providers: [ProviderConfig], matrix: Matrix?, writtenPromptIDs: Set<String> = []
    ) -> [Step] {
        let stepsPath = JSONPath.root.key("steps")
        guard let value else { return [] }
        guard case .array(let items) = value else {
            problem(stepsPath, "expected an array of steps, found \(value.typeName)")
            return []
        }
        let promptIDs = Set(matrix?.prompts.map(\.id) ?? [])
        var steps: [Step] = []
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            let path = stepsPath.index(index)
            guard let fields = decoder.object(item, at: path, allowed: ManifestLoader.stepKeys) else { continue }
            let id = decoder.string("id", in: fields, at: path, required: true)
            if let id {
                if !ManifestLoader.isSafeID(id) {
                    problem(path.key("id"), "\"\(id)\" is not a safe id; use letters, digits, '.', '_' and '-' (no '..', no '/')")
                } else if promptIDs.contains(id) {
                    problem(path.key("id"), "\"\(id)\" is already a prompt id")
                } else if !seen.insert(id).inserted {
                    problem(path.key("id"), "duplicate step id \"\(id)\"")
                }
            }
            let from = decoder.string("from", in: fields, at: path, required: true)
            let prompt = decoder.string("prompt", in: fields, at: path, required: true)
            if let prompt, prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                problem(path.key("prompt"), "must not be empty")
            }
            let models = validateModels(fields["models"], at: path.key("models"), providers: providers)
            let ratios = validateRatios(fields["aspectRatios"], at: path.key("aspectRatios"))
            let added = validateAddedReferences(fields["addReferences"], at: path.key("addReferences"))
            let variants = decoder.integer("variants", in: fields, at: path, range: 1...1000) ?? ManifestDefaults.variants
            if let id, let from, let prompt {
                steps.append(
                    Step(
                        id: id, from: from, prompt: prompt, models: models, aspectRatios: ratios,
                        addReferences: added, variants: variants))
            }
        }
        checkStepModels(steps, providers: providers, matrix: matrix)
        checkStepSources(steps, promptIDs: promptIDs.union(writtenPromptIDs))
        return steps
    }

    /// Every step's `from` names a prompt or a step, and no chain of steps comes back to itself.
    mutating func checkStepSources(_ steps: [Step], promptIDs: Set<String>) {
        let stepsPath = JSONPath.root.key("steps")
        let stepIDs = Set(steps.map(\.id))
        for (index, step) in steps.enumerated() where !promptIDs.contains(step.from) && !stepIDs.contains(step.from) {
            let hint = Suggestion.hint(for: step.from, among: promptIDs.sorted() + steps.map(\.id).filter { $0 != step.id })
            problem(stepsPath.index(index).key("from"), "\"\(step.from)\" is neither a prompt id nor a step id\(hint)")
        }
        let byID = Dictionary(steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var reportedCycle = Set<String>()
        for (index, step) in steps.enumerated() {
            var chain = [step.id]
            var current = step.from
            while let next = byID[current] {
                if let start = chain.firstIndex(of: next.id) {
                    let cycle = Array(chain[start...]) + [next.id]
                    if reportedCycle.insert(cycle.sorted().joined(separator: ",")).inserted {
                        problem(stepsPath.index(index).key("from"), "cycle: \(cycle.joined(separator: " → "))")
                    }
                    break
                }
                chain.append(next.id)
                current = next.from
            }
        }
    }

    /// A step edits its source's output, so each of its models must take one more reference image,
    /// uploaded from a local file.
    mutating func checkStepModels(_ steps: [Step], providers: [ProviderConfig], matrix: Matrix?) {
        guard let matrix else { return }
        var reported = Set<String>()
        for (index, step) in steps.enumerated() {
            for ref in step.models ?? matrix.models {
                guard let provider = providers.first(where: { $0.name == ref.provider }),
                    let dialect = DialectRegistry.dialect(named: provider.dialect),
                    let spec = dialect.model(ref.model)
                else { continue }
                let path = JSONPath.root.key("steps").index(index)
                if dialect.referencesMustBeURLs {
                    problem(
                        step.models == nil ? path : path.key("models"),
                        "\(ref.qualified) cannot run a chained step: dialect \(dialect.name) only takes reference URLs, and the upstream image is a local file"
                    )
                    continue
                }
                checkReferenceSet(
                    step.addReferences, spec: spec, dialect: dialect, provider: provider, ref: ref,
                    at: path.key("addReferences"), once: &reported, extra: 1)
                if let ratios = step.aspectRatios {
                    for (k, ratio) in ratios.enumerated() where !spec.aspectRatios.contains(ratio) {
                        problem(path.key("aspectRatios").index(k), "\"\(ratio)\" is not supported by \(ref.qualified)")
                    }
                }
            }
        }
    }
}
