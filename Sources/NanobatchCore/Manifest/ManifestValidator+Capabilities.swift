import Foundation

/// What each model accepts, checked against what the matrix will ask of it.
extension ManifestValidator {
    /// Checks every model against the ratios, sizes, formats and references it will be asked for.
    mutating func checkCapabilities(_ matrix: Matrix, providers: [ProviderConfig]) {
        var reported = Set<String>()
        func once(_ key: String) -> Bool { reported.insert(key).inserted }
        let matrixPath = JSONPath.root.key("matrix")
        for (promptIndex, prompt) in matrix.prompts.enumerated() {
            let promptPath = matrixPath.key("prompts").index(promptIndex)
            for ref in prompt.models ?? matrix.models {
                guard let provider = providers.first(where: { $0.name == ref.provider }),
                    let dialect = DialectRegistry.dialect(named: provider.dialect),
                    let spec = dialect.model(ref.model)
                else { continue }
                if let limit = spec.maxPromptCharacters, prompt.text.count > limit, once("prompt|\(promptPath)|\(ref.qualified)") {
                    problem(promptPath.key("text"), "\(prompt.text.count) characters, but \(ref.qualified) accepts at most \(limit)")
                }
                let ratios = prompt.aspectRatios ?? matrix.aspectRatios
                for ratio in ratios where !spec.aspectRatios.contains(ratio) {
                    let path =
                        prompt.aspectRatios != nil
                        ? promptPath.key("aspectRatios").index(ratios.firstIndex(of: ratio)!)
                        : matrixPath.key("aspectRatios").index(matrix.aspectRatios.firstIndex(of: ratio)!)
                    if once("ratio|\(path)|\(ref.qualified)") {
                        problem(
                            path,
                            "\"\(ratio)\" is not supported by \(ref.qualified); allowed: \(ManifestDecoder.list(spec.aspectRatios.map(\.rawValue)))"
                        )
                    }
                }
                let sizePath = prompt.imageSize != nil ? promptPath.key("imageSize") : matrixPath.key("imageSize")
                if let refused = spec.sizeChoice(requested: prompt.imageSize ?? matrix.imageSize).refused,
                    once("size|\(sizePath)|\(ref.qualified)")
                {
                    problem(
                        sizePath,
                        "\"\(refused.rawValue)\" is not offered by \(ref.qualified); allowed: \(ManifestDecoder.list(spec.imageSizes.map(\.rawValue)))"
                    )
                }
                if !spec.formats.contains(matrix.format), once("format|\(ref.qualified)") {
                    problem(
                        matrixPath.key("format"),
                        "\"\(matrix.format.rawValue)\" is not offered by \(ref.qualified); allowed: \(ManifestDecoder.list(spec.formats.map(\.rawValue)))"
                    )
                }
                for (setIndex, set) in matrix.references.enumerated() {
                    checkReferenceSet(
                        set + prompt.addReferences, spec: spec, dialect: dialect, provider: provider, ref: ref,
                        at: matrixPath.key("references").index(setIndex), once: &reported)
                }
            }
            checkSizeForFixedSizeModels(prompt, at: promptPath, matrix: matrix, providers: providers, once: &reported)
        }
    }

    /// An `imageSize` that reaches only models with one fixed size is an error (it would be ignored);
    /// one that reaches some such models among others that offer sizes is a warning naming them.
    mutating func checkSizeForFixedSizeModels(
        _ prompt: PromptEntry, at promptPath: JSONPath, matrix: Matrix, providers: [ProviderConfig], once reported: inout Set<String>
    ) {
        guard let size = prompt.imageSize ?? matrix.imageSize else { return }
        let path = prompt.imageSize != nil ? promptPath.key("imageSize") : JSONPath.root.key("matrix").key("imageSize")
        let models = prompt.models ?? matrix.models
        let fixed = models.filter { ref in
            guard let provider = providers.first(where: { $0.name == ref.provider }),
                let spec = DialectRegistry.dialect(named: provider.dialect)?.model(ref.model)
            else { return false }
            return spec.imageSizes.isEmpty
        }
        let names = ManifestDecoder.list(fixed.map(\.qualified))
        guard !fixed.isEmpty, reported.insert("fixed|\(path)|\(names)").inserted else { return }
        if fixed.count == models.count {
            problem(
                path,
                "\"\(size.rawValue)\" cannot be asked of \(names): \(fixed.count == 1 ? "it makes" : "they make") one fixed size; remove imageSize"
            )
        } else {
            warning(
                path,
                "\"\(size.rawValue)\" is not sent to \(names), which \(fixed.count == 1 ? "makes" : "make") one fixed size; only the other models get it"
            )
        }
    }

    /// A model's reference limits, and URL-only dialects' need for URLs. `extra` counts references
    /// added at run time (a chained step's upstream image).
    mutating func checkReferenceSet(
        _ references: [String], spec: ModelSpec, dialect: any Dialect, provider: ProviderConfig,
        ref: ModelRef, at path: JSONPath, once reported: inout Set<String>, extra: Int = 0
    ) {
        let count = references.count + extra
        if count > 0 && !spec.acceptsReferences, reported.insert("norefs|\(path)|\(ref.qualified)").inserted {
            problem(path, "\(ref.qualified) does not accept reference images")
        }
        if let limit = spec.maxReferences, count > limit, reported.insert("limit|\(path)|\(ref.qualified)").inserted {
            problem(path, "\(count) reference images, but \(ref.qualified) accepts at most \(limit)")
        }
        if dialect.referencesMustBeURLs {
            for (index, reference) in references.enumerated()
            where !ManifestLoader.isURL(reference) && provider.referenceURLs[reference] == nil {
                if reported.insert("url|\(path)|\(reference)|\(provider.name)").inserted {
                    problem(
                        path.index(index),
                        "\"\(reference)\" is a local file, but dialect \(dialect.name) (provider \(provider.name)) only takes http(s) URLs; map it in providers.\(provider.name).referenceURLs"
                    )
                }
            }
        }
    }
}
