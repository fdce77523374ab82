import Foundation

/// `matrix`: prompts, the ratios, models, sizes and reference sets they multiply with.
extension ManifestValidator {
    mutating func validateMatrix(_ value: JSONValue?, providers: [ProviderConfig]) -> Matrix? {
        let path = JSONPath.root.key("matrix")
        guard let value else {
            problem(path, "missing required key \"matrix\"")
            return nil
        }
        guard let fields = decoder.object(value, at: path, allowed: ManifestLoader.matrixKeys) else { return nil }
        let ratios = validateRatios(fields["aspectRatios"], at: path.key("aspectRatios"))
        if fields["aspectRatios"] == nil { problem(path.key("aspectRatios"), "missing required key \"aspectRatios\"") }
        let models = validateModels(fields["models"], at: path.key("models"), providers: providers)
        if fields["models"] == nil { problem(path.key("models"), "missing required key \"models\"") }
        let references = validateReferenceSets(fields["references"], at: path.key("references"))
        let variants = decoder.integer("variants", in: fields, at: path, range: 1...1000) ?? ManifestDefaults.variants
        let imageSize = validateSize(in: fields, at: path)
        var format = ManifestDefaults.format
        if let formatName = decoder.string("format", in: fields, at: path) {
            if let parsed = ImageFormat(rawValue: formatName == "jpg" ? "jpeg" : formatName) {
                format = parsed
            } else {
                let names = ImageFormat.allCases.map(\.rawValue)
                problem(
                    path.key("format"),
                    "\"\(formatName)\" is not one of \(ManifestDecoder.list(names))\(Suggestion.hint(for: formatName, among: names))")
            }
        }
        let variables = validateVariables(fields["variables"], at: path.key("variables"))
        let prompts = validatePrompts(
            fields["prompts"], at: path.key("prompts"), ratios: ratios, models: models, providers: providers, variables: variables)
        guard let ratios, let models else { return nil }
        let matrix = Matrix(
            prompts: prompts, aspectRatios: ratios, models: models, references: references,
            variants: variants, imageSize: imageSize, format: format, variables: variables)
        checkCapabilities(matrix, providers: providers)
        return matrix
    }

    mutating func validatePrompts(
        _ value: JSONValue?, at path: JSONPath, ratios: [AspectRatio]?, models: [ModelRef]?,
        providers: [ProviderConfig], variables: [TemplateVariable] = []
    ) -> [PromptEntry] {
        guard let value else {
            problem(path, "missing required key \"prompts\"")
            return []
        }
        guard case .array(let items) = value else {
            problem(path, "expected an array of prompts, found \(value.typeName)")
            return []
        }
        if items.isEmpty { problem(path, "must hold at least one prompt") }
        var prompts: [PromptEntry] = []
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            let promptPath = path.index(index)
            guard let fields = decoder.object(item, at: promptPath, allowed: ManifestLoader.promptKeys) else { continue }
            let id = decoder.string("id", in: fields, at: promptPath, required: true)
            if let id {
                if !ManifestLoader.isSafeID(id) {
                    problem(
                        promptPath.key("id"),
                        "\"\(id)\" is not a safe id; use letters, digits, '.', '_' and '-' (no '..', no '/'), starting with a letter or digit"
                    )
                } else if !seen.insert(id).inserted {
                    problem(promptPath.key("id"), "duplicate prompt id \"\(id)\"")
                }
            }
            let text = decoder.string("text", in: fields, at: promptPath, required: true)
            if let text, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                problem(promptPath.key("text"), "must not be empty")
            }
            let promptRatios = validateRatios(fields["aspectRatios"], at: promptPath.key("aspectRatios"))
            if let promptRatios, let ratios {
                for (k, ratio) in promptRatios.enumerated() where !ratios.contains(ratio) {
                    problem(
                        promptPath.key("aspectRatios").index(k),
                        "\"\(ratio)\" is not in matrix.aspectRatios (a prompt can only narrow them): \(ManifestDecoder.list(ratios.map(\.rawValue)))"
                    )
                }
            }
            let promptModels = validateModels(fields["models"], at: promptPath.key("models"), providers: providers)
            if let promptModels, let models {
                for (k, model) in promptModels.enumerated() where !models.contains(model) {
                    problem(
                        promptPath.key("models").index(k), "\"\(model.qualified)\" is not in matrix.models (a prompt can only narrow them)")
                }
            }
            let added = validateAddedReferences(fields["addReferences"], at: promptPath.key("addReferences"))
            let size = validateSize(in: fields, at: promptPath)
            let promptVariants = decoder.integer("variants", in: fields, at: promptPath, range: 1...1000)
            let narrowed = validatePromptVariables(fields["variables"], at: promptPath.key("variables"), matrixVariables: variables)
            if let id, let text {
                prompts.append(
                    PromptEntry(
                        id: id, text: text, aspectRatios: promptRatios, models: promptModels,
                        addReferences: added, imageSize: size, variants: promptVariants, variables: narrowed))
            }
        }
        return prompts
    }

    /// `"provider:model"` strings, each naming a declared provider and a model its dialect serves.
    mutating func validateModels(_ value: JSONValue?, at path: JSONPath, providers: [ProviderConfig]) -> [ModelRef]? {
        guard let strings = decoder.stringArray(value, at: path, nonEmpty: true) else { return nil }
        var models: [ModelRef] = []
        for (index, string) in strings.enumerated() {
            let at = path.index(index)
            let parts = string.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                problem(at, "\"\(string)\" must be \"provider:model\"")
                continue
            }
            let ref = ModelRef(provider: parts[0], model: parts[1])
            if models.contains(ref) { problem(at, "\"\(string)\" is listed twice") }
            guard let provider = providers.first(where: { $0.name == ref.provider }) else {
                if !providers.isEmpty {
                    let names = providers.map(\.name)
                    let hint = Suggestion.closest(to: ref.provider, among: names).map { " (did you mean \"\($0):\(ref.model)\"?)" } ?? ""
                    problem(at, "unknown provider \"\(ref.provider)\"\(hint); declared: \(ManifestDecoder.list(names))")
                }
                continue
            }
            let dialect = DialectRegistry.dialect(named: provider.dialect)!
            guard let spec = dialect.model(ref.model) else {
                let served = dialect.models.filter { $0.retirement?.isPast(today: today) != true }.map(\.id)
                problem(
                    at,
                    "model \"\(ref.model)\" is not served by dialect \(dialect.name)\(Suggestion.hint(for: ref.model, among: served, prefix: "\(ref.provider):")); known: \(ManifestDecoder.list(served))"
                )
                continue
            }
            if let retirement = spec.retirement {
                let message = retirement.message(for: ref.model, today: today)
                guard !retirement.isPast(today: today) else {
                    problem(at, message)
                    continue
                }
                warning(at, message)
            }
            models.append(ref)
        }
        return models
    }

    /// Ratios nanobatch knows, each once; unknown ones are reported and left out.
    mutating func validateRatios(_ value: JSONValue?, at path: JSONPath) -> [AspectRatio]? {
        guard let ratios = decoder.stringArray(value, at: path, nonEmpty: true) else { return nil }
        var seen = Set<String>()
        for (index, ratio) in ratios.enumerated() {
            if AspectRatio(rawValue: ratio) == nil {
                problem(
                    path.index(index),
                    "\"\(ratio)\" is not one of \(ManifestDecoder.list(ModelCatalog.extendedRatios))\(ratioHint(ratio))"
                )
            }
            if !seen.insert(ratio).inserted { problem(path.index(index), "\"\(ratio)\" is listed twice") }
        }
        return AspectRatio.list(ratios)
    }

    /// The closest known shape for "w:h" text ("16:10" → 3:2), else the closest spelling ("16;9" → 16:9).
    func ratioHint(_ ratio: String) -> String {
        if let nearest = AspectRatio.nearest(to: ratio) { return " (the closest supported ratio is \"\(nearest)\")" }
        return Suggestion.hint(for: ratio, among: ModelCatalog.extendedRatios)
    }

    /// The `imageSize` member of the object at `path`, when it is a size nanobatch knows.
    mutating func validateSize(in object: JSONObject, at path: JSONPath) -> ImageSize? {
        guard let name = decoder.string("imageSize", in: object, at: path) else { return nil }
        guard let size = ImageSize(rawValue: name) else {
            problem(
                path.key("imageSize"),
                "\"\(name)\" is not one of \(ManifestDecoder.list(ImageSize.names))\(Suggestion.hint(for: name, among: ImageSize.names))")
            return nil
        }
        return size
    }
}
