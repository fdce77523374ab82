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
                if let refused = spec.sizeChoice(requested: prompt.imageSize ?? matrix.imageSize).refused {
                    let path = prompt.imageSize != nil ? promptPath.key("imageSize") : matrixPath.key("imageSize")
                    if spec.imageSizes.isEmpty, once("size|\(path)|\(ref.qualified)") {
                        problem(
                            path,
                            "\"\(refused.rawValue)\" cannot be asked of \(ref.qualified): it makes one fixed size; remove imageSize, or set it only on prompts whose models offer sizes"
                        )
                    } else if once("size|\(path)|\(ref.qualified)") {
                        problem(
                            path,
                            "\"\(refused.rawValue)\" is not offered by \(ref.qualified); allowed: \(ManifestDecoder.list(spec.imageSizes.map(\.rawValue)))"
                        )
                    }
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
