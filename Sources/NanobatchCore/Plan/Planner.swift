import Foundation

/// Expansion stage: `Manifest` in, `JobGraph` out. Order: prompts as written, then the values of the
/// variables the prompt's text uses (first variable outermost), models, ratios, reference sets, variants;
/// steps after all prompts, in the order written. Each job's take comes from `manifest.takes`.
package enum Planner {
    package static func expand(_ manifest: Manifest) -> JobGraph {
        var jobs: [Job] = []
        var jobsByGroup: [String: [Int]] = [:]
        let multipleReferenceSets = manifest.matrix.references.count > 1

        for prompt in manifest.matrix.prompts {
            var indices: [Int] = []
            let template = (try? Template(parsing: prompt.text)) ?? Template(literal: prompt.text)
            for values in combinations(of: prompt, template: template, matrix: manifest.matrix) {
                let text = values.isEmpty ? prompt.text : template.render(Dictionary(values.map { ($0.name, $0.value) }) { a, _ in a })
                let valuesStem = values.map { "\($0.slug)_" }.joined()
                for ref in prompt.models ?? manifest.matrix.models {
                    guard let provider = manifest.provider(named: ref.provider),
                        let spec = DialectRegistry.dialect(named: provider.dialect)?.model(ref.model)
                    else { continue }
                    let size = spec.sizeChoice(requested: prompt.imageSize ?? manifest.matrix.imageSize).size
                    let unitPrice = price(manifest: manifest, ref: ref, size: size, spec: spec)
                    let modelStem = "\(valuesStem)\(provider.name)-\(safeName(ref.model))"
                    for ratio in prompt.aspectRatios ?? manifest.matrix.aspectRatios {
                        for (setIndex, set) in manifest.matrix.references.enumerated() {
                            let references = (set + prompt.addReferences).map { reference(from: $0, manifest: manifest) }
                            var setStem = "\(modelStem)_\(ratio.fileNamePart)"
                            if let size { setStem += "_\(size.rawValue)" }
                            if multipleReferenceSets { setStem += "_refs\(setIndex + 1)" }
                            for variant in 1...(prompt.variants ?? manifest.matrix.variants) {
                                let stem = "\(setStem)_v\(variant)"
                                var job = Job(
                                    index: jobs.count, id: "\(prompt.id)/\(stem)", group: prompt.id, promptID: prompt.id,
                                    stepID: nil, promptText: text, provider: provider.name, dialect: provider.dialect,
                                    model: ref.model, aspectRatio: ratio.rawValue, imageSize: size?.rawValue,
                                    format: manifest.matrix.format,
                                    variant: variant, references: references, upstream: nil, friendlyStem: "\(prompt.id)/\(stem)",
                                    unitPrice: unitPrice)
                                job.variables = values
                                job.take = manifest.takes.take(of: job.id)
                                job.pickedTake = manifest.takes.pickedTake(of: job.id)
                                indices.append(job.index)
                                jobs.append(job)
                            }
                        }
                    }
                }
            }
            jobsByGroup[prompt.id] = indices
        }

        // Steps may name later steps as their source: resolve in dependency order.
        var pending = manifest.steps
        while !pending.isEmpty {
            guard let position = pending.firstIndex(where: { jobsByGroup[$0.from] != nil }) else { break }
            let step = pending.remove(at: position)
            var indices: [Int] = []
            let template = (try? Template(parsing: step.prompt)) ?? Template(literal: step.prompt)
            for sourceIndex in jobsByGroup[step.from] ?? [] {
                let source = jobs[sourceIndex]
                if let models = step.models, !models.contains(ModelRef(provider: source.provider, model: source.model)) { continue }
                if let ratios = step.aspectRatios, !ratios.contains(where: { $0.rawValue == source.aspectRatio }) { continue }
                guard let provider = manifest.provider(named: source.provider),
                    let spec = DialectRegistry.dialect(named: provider.dialect)?.model(source.model)
                else { continue }
                let sourceStem = source.friendlyStem.split(separator: "/").last.map(String.init) ?? source.friendlyStem
                for variant in 1...step.variants {
                    let stem = step.variants > 1 ? "\(sourceStem)_e\(variant)" : sourceStem
                    let values = Dictionary(source.variables.map { ($0.name, $0.value) }) { a, _ in a }
                    var job = Job(
                        index: jobs.count, id: "\(step.id)/\(stem)", group: step.id, promptID: source.promptID,
                        stepID: step.id, promptText: values.isEmpty ? step.prompt : template.render(values), provider: source.provider,
                        dialect: source.dialect,
                        model: source.model, aspectRatio: source.aspectRatio, imageSize: source.imageSize,
                        format: source.format, variant: variant,
                        references: step.addReferences.map { reference(from: $0, manifest: manifest) },
                        upstream: sourceIndex, friendlyStem: "\(step.id)/\(stem)",
                        unitPrice: price(
                            manifest: manifest, ref: ModelRef(provider: source.provider, model: source.model),
                            size: source.size, spec: spec))
                    job.variables = source.variables
                    job.take = manifest.takes.take(of: job.id)
                    job.pickedTake = manifest.takes.pickedTake(of: job.id)
                    indices.append(job.index)
                    jobs.append(job)
                }
            }
            jobsByGroup[step.id] = indices
        }

        var dependents = [[Int]](repeating: [], count: jobs.count)
        for job in jobs { if let upstream = job.upstream { dependents[upstream].append(job.index) } }
        return JobGraph(manifest: manifest, jobs: jobs, dependents: dependents)
    }

    /// Every combination of the values of the variables `template` uses (narrowed by the prompt), in
    /// matrix order, first variable outermost; one empty combination when it uses none.
    static func combinations(of prompt: PromptEntry, template: Template, matrix: Matrix) -> [[VariableValue]] {
        let used = Set(template.names)
        var result: [[VariableValue]] = [[]]
        for variable in matrix.variables where used.contains(variable.name) {
            let values = prompt.variables[variable.name] ?? variable.values
            result = result.flatMap { prefix in values.map { prefix + [VariableValue(name: variable.name, value: $0)] } }
        }
        return result
    }

    /// Manifest pricing (`provider:model@size`, then `provider:model`) wins over the built-in table;
    /// a batch-mode provider's table price is the batch price (`GeminiBatchTranslator.batchPriceFactor`).
    static func price(manifest: Manifest, ref: ModelRef, size: ImageSize?, spec: ModelSpec) -> Double? {
        if let size, let price = manifest.pricing["\(ref.qualified)@\(size.rawValue)"] { return price }
        if let price = manifest.pricing[ref.qualified] { return price }
        guard let listPrice = spec.price(size: size) else { return nil }
        let batch = manifest.provider(named: ref.provider)?.mode == .batch
        return batch ? listPrice * GeminiBatchTranslator.batchPriceFactor : listPrice
    }

    static func reference(from written: String, manifest: Manifest) -> Reference {
        if ManifestLoader.isURL(written) { return .url(written) }
        let url = written.hasPrefix("/") ? URL(fileURLWithPath: written) : manifest.directory.appendingPathComponent(written)
        return .file(path: url.standardizedFileURL.path, written: written)
    }

    static func safeName(_ name: String) -> String {
        String(
            name.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "-") ? Character(scalar) : "-"
            })
    }
}
