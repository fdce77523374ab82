import Foundation

/// Manifest stage: JSON file in, validated `Manifest` out (or a `ManifestError` listing every problem).
public enum ManifestLoader {
    public static let topLevelKeys = ["$schema", "version", "name", "output", "concurrency", "providers", "matrix", "steps", "pricing", "budget"]
    public static let providerKeys = ["dialect", "baseURL", "apiKeyEnv", "concurrency", "requestsPerMinute", "latencyMs", "referenceURLs", "deadlineSeconds",
                                             "pollSeconds", "responseFormat", "callbackURL", "retry"]
    public static let retryKeys = ["maxAttempts", "initialDelaySeconds", "maximumDelaySeconds"]
    public static let matrixKeys = ["prompts", "aspectRatios", "models", "references", "variants", "imageSize", "format"]
    public static let promptKeys = ["id", "text", "aspectRatios", "models", "addReferences", "imageSize", "variants"]
    public static let stepKeys = ["id", "from", "prompt", "models", "aspectRatios", "addReferences", "variants"]
    public static let budgetKeys = ["maxCost"]

    public static func load(path: String) throws -> Manifest {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            let why = exists ? "cannot read the manifest file" : "no such file (looked for \(url.standardizedFileURL.path))"
            throw ManifestError(file: path, issues: [ManifestIssue(path: "", message: why)])
        }
        var manifest = try decode(data, file: path, directory: url.deletingLastPathComponent())
        manifest.sourceDigest = SHA256.hash(data).hexString
        return manifest
    }

    public static func decode(_ data: Data, file: String, directory: URL) throws -> Manifest {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data)
        } catch let error as JSONSyntaxError {
            throw ManifestError(file: file, issues: [ManifestIssue(path: "", message: "invalid JSON at \(error)")])
        }
        var reader = ManifestReader(directory: directory)
        let manifest = reader.read(root)
        if let manifest, reader.issues.isEmpty { return manifest }
        throw ManifestError(file: file, issues: reader.issues)
    }

    static func isSafeID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 80, !id.contains(".."), let first = id.unicodeScalars.first else { return false }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return CharacterSet.alphanumerics.contains(first) && first.isASCII
            && id.unicodeScalars.allSatisfy { allowed.contains($0) }
    }

    /// `[A-Za-z_][A-Za-z0-9_]{0,127}`: a name, never a key pasted in its place.
    static func isEnvironmentVariableName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func letter(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
        }
        return letter(first) && bytes.dropFirst().allSatisfy { letter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    static func isURL(_ string: String) -> Bool {
        string.hasPrefix("https://") || string.hasPrefix("http://")
    }
}

/// Walks the JSON tree, collecting every problem with its path.
struct ManifestReader {
    let directory: URL
    var issues: [ManifestIssue] = []

    init(directory: URL) { self.directory = directory }

    mutating func problem(_ path: String, _ message: String) {
        issues.append(ManifestIssue(path: path, message: message))
    }

    static func child(_ path: String, _ key: String) -> String {
        let plain = key.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" || $0 == "$" }
        let step = plain ? key : "[\"\(key)\"]"
        if path.isEmpty { return step }
        return plain ? "\(path).\(key)" : "\(path)\(step)"
    }

    static func list(_ values: [String]) -> String { values.joined(separator: ", ") }

    mutating func object(_ value: JSONValue?, _ path: String, allowed: [String]) -> JSONObject? {
        guard let value else { return nil }
        guard case .object(let object) = value else {
            problem(path, "expected an object, found \(value.typeName)")
            return nil
        }
        for key in object.keys where !allowed.contains(key) {
            problem(ManifestReader.child(path, key), "unknown key \"\(key)\"; allowed keys: \(ManifestReader.list(allowed))")
        }
        return object
    }

    mutating func string(_ object: JSONObject, _ key: String, _ path: String, required: Bool = false) -> String? {
        let at = ManifestReader.child(path, key)
        guard let value = object[key] else {
            if required { problem(at, "missing required key \"\(key)\"") }
            return nil
        }
        guard case .string(let string) = value else {
            problem(at, "expected a string, found \(value.typeName)")
            return nil
        }
        return string
    }

    mutating func integer(_ object: JSONObject, _ key: String, _ path: String, range: ClosedRange<Int>, required: Bool = false) -> Int? {
        let at = ManifestReader.child(path, key)
        guard let value = object[key] else {
            if required { problem(at, "missing required key \"\(key)\"") }
            return nil
        }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            problem(at, "expected a whole number, found \(value.typeName == "a number" ? "a fraction" : value.typeName)")
            return nil
        }
        guard range.contains(Int(number)) else {
            problem(at, "\(Int(number)) is out of range; allowed: \(range.lowerBound)…\(range.upperBound)")
            return nil
        }
        return Int(number)
    }

    mutating func number(_ object: JSONObject, _ key: String, _ path: String, minimum: Double, exclusive: Bool) -> Double? {
        let at = ManifestReader.child(path, key)
        guard let value = object[key] else { return nil }
        guard case .number(let number) = value else {
            problem(at, "expected a number, found \(value.typeName)")
            return nil
        }
        if exclusive ? number <= minimum : number < minimum {
            problem(at, "\(number) must be \(exclusive ? "greater than" : "at least") \(minimum)")
            return nil
        }
        return number
    }

    mutating func stringArray(_ value: JSONValue?, _ path: String, nonEmpty: Bool) -> [String]? {
        guard let value else { return nil }
        guard case .array(let items) = value else {
            problem(path, "expected an array of strings, found \(value.typeName)")
            return nil
        }
        if nonEmpty && items.isEmpty { problem(path, "must not be empty") }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let string) = item else {
                problem("\(path)[\(index)]", "expected a string, found \(item.typeName)")
                continue
            }
            strings.append(string)
        }
        return strings
    }

    // MARK: - Document

    mutating func read(_ root: JSONValue) -> Manifest? {
        guard let top = object(root, "", allowed: ManifestLoader.topLevelKeys) else { return nil }
        let version = integer(top, "version", "", range: 1...1_000_000, required: true)
        if let version, version != Manifest.currentVersion {
            problem("version", "\(version) is not supported; this nanobatch reads version \(Manifest.currentVersion)")
        }
        let name = string(top, "name", "", required: true)
        if let name, !ManifestLoader.isSafeID(name) {
            problem("name", "\"\(name)\" is not a safe name; use letters, digits, '.', '_' and '-' (no '..', no '/')")
        }
        let output = string(top, "output", "")
        if let output, output.isEmpty { problem("output", "must not be empty") }
        let concurrency = integer(top, "concurrency", "", range: 1...1024) ?? 16
        let providers = readProviders(top["providers"])
        let matrix = readMatrix(top["matrix"], providers: providers)
        let steps = readSteps(top["steps"], providers: providers, matrix: matrix)
        let pricing = readPricing(top["pricing"], providers: providers)
        var budget: Budget?
        if let budgetObject = object(top["budget"], "budget", allowed: ManifestLoader.budgetKeys) {
            if let maxCost = number(budgetObject, "maxCost", "budget", minimum: 0, exclusive: true) {
                budget = Budget(maxCost: maxCost)
            } else if budgetObject["maxCost"] == nil {
                problem("budget.maxCost", "missing required key \"maxCost\"")
            }
        }
        guard let name, let matrix else { return nil }
        return Manifest(version: version ?? Manifest.currentVersion, name: name, directory: directory, output: output,
                        concurrency: concurrency, providers: providers, matrix: matrix, steps: steps,
                        pricing: pricing, budget: budget)
    }

    mutating func readProviders(_ value: JSONValue?) -> [ProviderConfig] {
        guard let value else {
            problem("providers", "missing required key \"providers\"")
            return []
        }
        guard case .object(let object) = value else {
            problem("providers", "expected an object of named providers, found \(value.typeName)")
            return []
        }
        if object.keys.isEmpty { problem("providers", "must name at least one provider") }
        var providers: [ProviderConfig] = []
        for (name, entry) in object.entries {
            let path = ManifestReader.child("providers", name)
            if !ManifestLoader.isSafeID(name) {
                problem(path, "provider name \"\(name)\" is not safe; use letters, digits, '.', '_' and '-'")
            }
            guard let fields = self.object(entry, path, allowed: ManifestLoader.providerKeys) else { continue }
            guard let dialectName = string(fields, "dialect", path, required: true) else { continue }
            guard let dialect = ModelCatalog.dialect(dialectName) else {
                problem(ManifestReader.child(path, "dialect"),
                        "\"\(dialectName)\" is not one of \(ManifestReader.list(ModelCatalog.dialectNames))")
                continue
            }
            let baseURL = string(fields, "baseURL", path)
            if let baseURL {
                if !ManifestLoader.isURL(baseURL) || URL(string: baseURL)?.host == nil {
                    problem(ManifestReader.child(path, "baseURL"), "\"\(baseURL)\" is not an http(s) URL")
                } else if URL(string: baseURL)?.user != nil || URL(string: baseURL)?.password != nil {
                    problem(ManifestReader.child(path, "baseURL"), "must not carry credentials; put the key in the environment variable named by apiKeyEnv")
                }
            } else if dialect.name != "offline" && dialect.defaultBaseURL == nil {
                problem(ManifestReader.child(path, "baseURL"), "missing required key \"baseURL\" (dialect \(dialect.name) has no default)")
            }
            let apiKeyEnv = string(fields, "apiKeyEnv", path)
            if let apiKeyEnv {
                let validName = ManifestLoader.isEnvironmentVariableName(apiKeyEnv)
                if !validName {
                    problem(ManifestReader.child(path, "apiKeyEnv"),
                            "must be the name of an environment variable (like GEMINI_API_KEY), not the key itself")
                }
            } else if dialect.needsAPIKey {
                problem(ManifestReader.child(path, "apiKeyEnv"), "missing required key \"apiKeyEnv\" (the environment variable holding the API key)")
            }
            let concurrency = integer(fields, "concurrency", path, range: 1...256) ?? 4
            let rpm = number(fields, "requestsPerMinute", path, minimum: 0, exclusive: true)
            let latency = integer(fields, "latencyMs", path, range: 0...600_000) ?? 0
            if fields["latencyMs"] != nil && dialect.name != "offline" {
                problem(ManifestReader.child(path, "latencyMs"), "only the offline dialect simulates latency")
            }
            let deadline = number(fields, "deadlineSeconds", path, minimum: 0, exclusive: true) ?? 600
            var referenceURLs: [String: String] = [:]
            if let mapping = fields["referenceURLs"] {
                let mapPath = ManifestReader.child(path, "referenceURLs")
                if case .object(let map) = mapping {
                    for (file, url) in map.entries {
                        if case .string(let urlString) = url, ManifestLoader.isURL(urlString) {
                            referenceURLs[file] = urlString
                        } else {
                            problem(ManifestReader.child(mapPath, file), "expected an http(s) URL string")
                        }
                    }
                } else {
                    problem(mapPath, "expected an object mapping reference files to URLs, found \(mapping.typeName)")
                }
            }
            let pollSeconds = number(fields, "pollSeconds", path, minimum: 0, exclusive: true)
            if fields["pollSeconds"] != nil && !["mountsea", "image-tasks", "evolink"].contains(dialect.name) {
                problem(ManifestReader.child(path, "pollSeconds"), "only the async dialects (mountsea, image-tasks, evolink) poll")
            }
            let responseFormat = string(fields, "responseFormat", path)
            if let responseFormat {
                if dialect.name != "openai-images" {
                    problem(ManifestReader.child(path, "responseFormat"), "only the openai-images dialect takes a response format")
                } else if !["url", "b64_json"].contains(responseFormat) {
                    problem(ManifestReader.child(path, "responseFormat"), "\"\(responseFormat)\" is not one of url, b64_json")
                }
            }
            let callbackURL = string(fields, "callbackURL", path)
            if let callbackURL {
                if dialect.name != "evolink" {
                    problem(ManifestReader.child(path, "callbackURL"), "only the evolink dialect calls back")
                } else if let reason = CallbackURLCheck.problem(callbackURL) {
                    problem(ManifestReader.child(path, "callbackURL"), reason)
                }
            }
            var retry = RetryPolicy.standard
            let retryPath = ManifestReader.child(path, "retry")
            if let retryFields = self.object(fields["retry"], retryPath, allowed: ManifestLoader.retryKeys) {
                retry.maxAttempts = integer(retryFields, "maxAttempts", retryPath, range: 1...20) ?? retry.maxAttempts
                retry.initialDelay = number(retryFields, "initialDelaySeconds", retryPath, minimum: 0, exclusive: true) ?? retry.initialDelay
                retry.maximumDelay = number(retryFields, "maximumDelaySeconds", retryPath, minimum: 0, exclusive: true) ?? retry.maximumDelay
                if retry.maximumDelay < retry.initialDelay {
                    problem(ManifestReader.child(retryPath, "maximumDelaySeconds"),
                            "\(retry.maximumDelay) is below initialDelaySeconds \(retry.initialDelay)")
                }
            }
            providers.append(ProviderConfig(name: name, dialect: dialect.name, baseURL: baseURL, apiKeyEnv: apiKeyEnv,
                                            concurrency: concurrency, requestsPerMinute: rpm,
                                            latencyMilliseconds: latency, referenceURLs: referenceURLs,
                                            deadlineSeconds: deadline, pollSeconds: pollSeconds,
                                            responseFormat: responseFormat, callbackURL: callbackURL, retry: retry))
        }
        return providers
    }

    mutating func readModels(_ value: JSONValue?, _ path: String, providers: [ProviderConfig]) -> [ModelRef]? {
        guard let strings = stringArray(value, path, nonEmpty: true) else { return nil }
        var models: [ModelRef] = []
        for (index, string) in strings.enumerated() {
            let at = "\(path)[\(index)]"
            let parts = string.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                problem(at, "\"\(string)\" must be \"provider:model\"")
                continue
            }
            let ref = ModelRef(provider: parts[0], model: parts[1])
            if models.contains(ref) { problem(at, "\"\(string)\" is listed twice") }
            guard let provider = providers.first(where: { $0.name == ref.provider }) else {
                if !providers.isEmpty {
                    problem(at, "unknown provider \"\(ref.provider)\"; declared: \(ManifestReader.list(providers.map(\.name)))")
                }
                continue
            }
            let dialect = ModelCatalog.dialect(provider.dialect)!
            guard dialect.model(ref.model) != nil else {
                problem(at, "model \"\(ref.model)\" is not served by dialect \(dialect.name); known: \(ManifestReader.list(dialect.models.map(\.id)))")
                continue
            }
            models.append(ref)
        }
        return models
    }

    mutating func readRatios(_ value: JSONValue?, _ path: String) -> [String]? {
        guard let ratios = stringArray(value, path, nonEmpty: true) else { return nil }
        var seen = Set<String>()
        for (index, ratio) in ratios.enumerated() {
            if !ModelCatalog.extendedRatios.contains(ratio) {
                problem("\(path)[\(index)]", "\"\(ratio)\" is not one of \(ManifestReader.list(ModelCatalog.extendedRatios))")
            }
            if !seen.insert(ratio).inserted { problem("\(path)[\(index)]", "\"\(ratio)\" is listed twice") }
        }
        return ratios.filter { ModelCatalog.extendedRatios.contains($0) }
    }

    mutating func readSize(_ object: JSONObject, _ path: String) -> String? {
        guard let size = string(object, "imageSize", path) else { return nil }
        if !ModelCatalog.allSizes.contains(size) {
            problem(ManifestReader.child(path, "imageSize"), "\"\(size)\" is not one of \(ManifestReader.list(ModelCatalog.allSizes))")
            return nil
        }
        return size
    }

    /// A reference is an http(s) URL or a file path relative to the manifest; files must exist.
    mutating func checkReference(_ reference: String, _ path: String) {
        if ManifestLoader.isURL(reference) {
            if URL(string: reference)?.host == nil { problem(path, "\"\(reference)\" is not a valid URL") }
            return
        }
        if reference.isEmpty { problem(path, "empty reference"); return }
        let url = reference.hasPrefix("/") ? URL(fileURLWithPath: reference) : directory.appendingPathComponent(reference)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            problem(path, "reference file \"\(reference)\" does not exist (looked for \(url.path))")
        } else if isDirectory.boolValue {
            problem(path, "reference \"\(reference)\" is a folder, not an image file")
        }
    }

    mutating func readReferenceSets(_ value: JSONValue?, _ path: String) -> [[String]] {
        guard let value else { return [[]] }
        guard case .array(let sets) = value else {
            problem(path, "expected an array of reference sets (arrays of files or URLs), found \(value.typeName)")
            return [[]]
        }
        if sets.isEmpty { problem(path, "must hold at least one set; use [[]] for none") }
        var result: [[String]] = []
        for (index, set) in sets.enumerated() {
            let setPath = "\(path)[\(index)]"
            guard let references = stringArray(set, setPath, nonEmpty: false) else { continue }
            for (k, reference) in references.enumerated() { checkReference(reference, "\(setPath)[\(k)]") }
            result.append(references)
        }
        return result.isEmpty ? [[]] : result
    }

    mutating func readMatrix(_ value: JSONValue?, providers: [ProviderConfig]) -> Matrix? {
        guard let value else {
            problem("matrix", "missing required key \"matrix\"")
            return nil
        }
        guard let fields = object(value, "matrix", allowed: ManifestLoader.matrixKeys) else { return nil }
        let ratios = readRatios(fields["aspectRatios"], "matrix.aspectRatios")
        if fields["aspectRatios"] == nil { problem("matrix.aspectRatios", "missing required key \"aspectRatios\"") }
        let models = readModels(fields["models"], "matrix.models", providers: providers)
        if fields["models"] == nil { problem("matrix.models", "missing required key \"models\"") }
        let references = readReferenceSets(fields["references"], "matrix.references")
        let variants = integer(fields, "variants", "matrix", range: 1...1000) ?? 1
        let imageSize = readSize(fields, "matrix")
        var format = ImageFormat.png
        if let formatName = string(fields, "format", "matrix") {
            if let parsed = ImageFormat(rawValue: formatName == "jpg" ? "jpeg" : formatName) {
                format = parsed
            } else {
                problem("matrix.format", "\"\(formatName)\" is not one of png, jpeg, webp")
            }
        }
        var prompts: [PromptEntry] = []
        if let promptsValue = fields["prompts"] {
            if case .array(let items) = promptsValue {
                if items.isEmpty { problem("matrix.prompts", "must hold at least one prompt") }
                var seen = Set<String>()
                for (index, item) in items.enumerated() {
                    let path = "matrix.prompts[\(index)]"
                    guard let promptFields = object(item, path, allowed: ManifestLoader.promptKeys) else { continue }
                    let id = string(promptFields, "id", path, required: true)
                    if let id {
                        if !ManifestLoader.isSafeID(id) {
                            problem("\(path).id", "\"\(id)\" is not a safe id; use letters, digits, '.', '_' and '-' (no '..', no '/'), starting with a letter or digit")
                        } else if !seen.insert(id).inserted {
                            problem("\(path).id", "duplicate prompt id \"\(id)\"")
                        }
                    }
                    let text = string(promptFields, "text", path, required: true)
                    if let text, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                        problem("\(path).text", "must not be empty")
                    }
                    let promptRatios = readRatios(promptFields["aspectRatios"], "\(path).aspectRatios")
                    if let promptRatios, let ratios {
                        for (k, ratio) in promptRatios.enumerated() where !ratios.contains(ratio) {
                            problem("\(path).aspectRatios[\(k)]", "\"\(ratio)\" is not in matrix.aspectRatios (a prompt can only narrow them): \(ManifestReader.list(ratios))")
                        }
                    }
                    let promptModels = readModels(promptFields["models"], "\(path).models", providers: providers)
                    if let promptModels, let models {
                        for (k, model) in promptModels.enumerated() where !models.contains(model) {
                            problem("\(path).models[\(k)]", "\"\(model.qualified)\" is not in matrix.models (a prompt can only narrow them)")
                        }
                    }
                    let added = stringArray(promptFields["addReferences"], "\(path).addReferences", nonEmpty: false) ?? []
                    for (k, reference) in added.enumerated() { checkReference(reference, "\(path).addReferences[\(k)]") }
                    let size = readSize(promptFields, path)
                    let promptVariants = integer(promptFields, "variants", path, range: 1...1000)
                    if let id, let text {
                        prompts.append(PromptEntry(id: id, text: text, aspectRatios: promptRatios, models: promptModels,
                                                   addReferences: added, imageSize: size, variants: promptVariants))
                    }
                }
            } else {
                problem("matrix.prompts", "expected an array of prompts, found \(promptsValue.typeName)")
            }
        } else {
            problem("matrix.prompts", "missing required key \"prompts\"")
        }
        guard let ratios, let models else { return nil }
        let matrix = Matrix(prompts: prompts, aspectRatios: ratios, models: models, references: references,
                            variants: variants, imageSize: imageSize, format: format)
        checkCapabilities(matrix, providers: providers)
        return matrix
    }

    /// Checks every model against the ratios, sizes, formats and references it will be asked for.
    mutating func checkCapabilities(_ matrix: Matrix, providers: [ProviderConfig]) {
        var reported = Set<String>()
        func once(_ key: String) -> Bool { reported.insert(key).inserted }
        for (promptIndex, prompt) in matrix.prompts.enumerated() {
            let promptPath = "matrix.prompts[\(promptIndex)]"
            for ref in prompt.models ?? matrix.models {
                guard let provider = providers.first(where: { $0.name == ref.provider }),
                      let dialect = ModelCatalog.dialect(provider.dialect),
                      let spec = dialect.model(ref.model) else { continue }
                if let limit = spec.maxPromptCharacters, prompt.text.count > limit, once("prompt|\(promptPath)|\(ref.qualified)") {
                    problem("\(promptPath).text", "\(prompt.text.count) characters, but \(ref.qualified) accepts at most \(limit)")
                }
                let ratios = prompt.aspectRatios ?? matrix.aspectRatios
                for ratio in ratios where !spec.aspectRatios.contains(ratio) {
                    let path = prompt.aspectRatios != nil
                        ? "\(promptPath).aspectRatios[\(ratios.firstIndex(of: ratio)!)]"
                        : "matrix.aspectRatios[\(matrix.aspectRatios.firstIndex(of: ratio)!)]"
                    if once("ratio|\(path)|\(ref.qualified)") {
                        problem(path, "\"\(ratio)\" is not supported by \(ref.qualified); allowed: \(ManifestReader.list(spec.aspectRatios))")
                    }
                }
                let size = prompt.imageSize ?? matrix.imageSize
                if let size, !spec.imageSizes.isEmpty, !spec.imageSizes.contains(size) {
                    let path = prompt.imageSize != nil ? "\(promptPath).imageSize" : "matrix.imageSize"
                    if once("size|\(path)|\(ref.qualified)") {
                        problem(path, "\"\(size)\" is not offered by \(ref.qualified); allowed: \(ManifestReader.list(spec.imageSizes))")
                    }
                }
                if !spec.formats.contains(matrix.format), once("format|\(ref.qualified)") {
                    problem("matrix.format", "\"\(matrix.format.rawValue)\" is not offered by \(ref.qualified); allowed: \(ManifestReader.list(spec.formats.map(\.rawValue)))")
                }
                for (setIndex, set) in matrix.references.enumerated() {
                    let all = set + prompt.addReferences
                    checkReferenceSet(all, spec: spec, dialect: dialect, provider: provider, ref: ref,
                                      path: "matrix.references[\(setIndex)]", once: &reported)
                }
            }
        }
    }

    mutating func checkReferenceSet(_ references: [String], spec: ModelSpec, dialect: DialectSpec, provider: ProviderConfig,
                                    ref: ModelRef, path: String, once reported: inout Set<String>, extra: Int = 0) {
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
                    problem("\(path)[\(index)]", "\"\(reference)\" is a local file, but dialect \(dialect.name) (provider \(provider.name)) only takes http(s) URLs; map it in providers.\(provider.name).referenceURLs")
                }
            }
        }
    }

    mutating func readSteps(_ value: JSONValue?, providers: [ProviderConfig], matrix: Matrix?) -> [Step] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            problem("steps", "expected an array of steps, found \(value.typeName)")
            return []
        }
        let promptIDs = Set(matrix?.prompts.map(\.id) ?? [])
        var steps: [Step] = []
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            let path = "steps[\(index)]"
            guard let fields = object(item, path, allowed: ManifestLoader.stepKeys) else { continue }
            let id = string(fields, "id", path, required: true)
            if let id {
                if !ManifestLoader.isSafeID(id) {
                    problem("\(path).id", "\"\(id)\" is not a safe id; use letters, digits, '.', '_' and '-' (no '..', no '/')")
                } else if promptIDs.contains(id) {
                    problem("\(path).id", "\"\(id)\" is already a prompt id")
                } else if !seen.insert(id).inserted {
                    problem("\(path).id", "duplicate step id \"\(id)\"")
                }
            }
            let from = string(fields, "from", path, required: true)
            let prompt = string(fields, "prompt", path, required: true)
            if let prompt, prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                problem("\(path).prompt", "must not be empty")
            }
            let models = readModels(fields["models"], "\(path).models", providers: providers)
            let ratios = readRatios(fields["aspectRatios"], "\(path).aspectRatios")
            let added = stringArray(fields["addReferences"], "\(path).addReferences", nonEmpty: false) ?? []
            for (k, reference) in added.enumerated() { checkReference(reference, "\(path).addReferences[\(k)]") }
            let variants = integer(fields, "variants", path, range: 1...1000) ?? 1
            if let id, let from, let prompt {
                steps.append(Step(id: id, from: from, prompt: prompt, models: models, aspectRatios: ratios,
                                  addReferences: added, variants: variants))
            }
        }
        checkStepModels(steps, providers: providers, matrix: matrix)
        // Unknown sources and cycles.
        let stepIDs = Set(steps.map(\.id))
        for (index, step) in steps.enumerated() where !promptIDs.contains(step.from) && !stepIDs.contains(step.from) {
            problem("steps[\(index)].from", "\"\(step.from)\" is neither a prompt id nor a step id")
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
                        problem("steps[\(index)].from", "cycle: \(cycle.joined(separator: " → "))")
                    }
                    break
                }
                chain.append(next.id)
                current = next.from
            }
        }
        return steps
    }

    /// A step edits its source's output, so each of its models must take one more reference image,
    /// uploaded from a local file.
    mutating func checkStepModels(_ steps: [Step], providers: [ProviderConfig], matrix: Matrix?) {
        guard let matrix else { return }
        var reported = Set<String>()
        for (index, step) in steps.enumerated() {
            for ref in step.models ?? matrix.models {
                guard let provider = providers.first(where: { $0.name == ref.provider }),
                      let dialect = ModelCatalog.dialect(provider.dialect),
                      let spec = dialect.model(ref.model) else { continue }
                let path = "steps[\(index)]"
                if dialect.referencesMustBeURLs {
                    problem(step.models == nil ? path : "\(path).models",
                            "\(ref.qualified) cannot run a chained step: dialect \(dialect.name) only takes reference URLs, and the upstream image is a local file")
                    continue
                }
                checkReferenceSet(step.addReferences, spec: spec, dialect: dialect, provider: provider, ref: ref,
                                  path: "\(path).addReferences", once: &reported, extra: 1)
                if let ratios = step.aspectRatios {
                    for (k, ratio) in ratios.enumerated() where !spec.aspectRatios.contains(ratio) {
                        problem("\(path).aspectRatios[\(k)]", "\"\(ratio)\" is not supported by \(ref.qualified)")
                    }
                }
            }
        }
    }

    mutating func readPricing(_ value: JSONValue?, providers: [ProviderConfig]) -> [String: Double] {
        guard let value else { return [:] }
        guard case .object(let object) = value else {
            problem("pricing", "expected an object of \"provider:model[@size]\": USD per image, found \(value.typeName)")
            return [:]
        }
        var pricing: [String: Double] = [:]
        for (key, price) in object.entries {
            let path = ManifestReader.child("pricing", key)
            let modelPart = key.split(separator: "@", maxSplits: 1).first.map(String.init) ?? key
            let parts = modelPart.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count != 2 {
                problem(path, "key must be \"provider:model\" or \"provider:model@size\"")
            } else if !providers.isEmpty && !providers.contains(where: { $0.name == parts[0] }) {
                problem(path, "unknown provider \"\(parts[0])\"")
            }
            if key.contains("@"), let size = key.split(separator: "@").last.map(String.init), !ModelCatalog.allSizes.contains(size) {
                problem(path, "size \"\(size)\" is not one of \(ManifestReader.list(ModelCatalog.allSizes))")
            }
            guard case .number(let amount) = price, amount >= 0 else {
                problem(path, "expected a price in USD (a number ≥ 0), found \(price.typeName)")
                continue
            }
            pricing[key] = amount
        }
        return pricing
    }
}
