import Foundation

/// Reference images: URLs must be well formed, local files must exist next to the manifest.
/// The only part of validation that looks at the disk.
extension ManifestValidator {
    /// A reference is an http(s) URL or a file path relative to the manifest; files must exist.
    mutating func checkReference(_ reference: String, at path: JSONPath) {
        if ManifestLoader.isURL(reference) {
            if URL(string: reference)?.host == nil { problem(path, "\"\(reference)\" is not a valid URL") }
            return
        }
        if reference.isEmpty {
            problem(path, "empty reference")
            return
        }
        let url = reference.hasPrefix("/") ? URL(fileURLWithPath: reference) : directory.appendingPathComponent(reference)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            problem(path, "reference file \"\(reference)\" does not exist (looked for \(url.path))")
        } else if isDirectory.boolValue {
            problem(path, "reference \"\(reference)\" is a folder, not an image file")
        } else if !FileIO.isRegularFile(url.path) {
            problem(path, "reference \"\(reference)\" is not a regular file (a device, FIFO or socket), so it cannot be an image")
        } else if let kind = ReferenceFileKind.nonImage(at: url) {
            problem(path, "reference file \"\(reference)\" is not a PNG, JPEG, WebP or GIF image: it looks like \(kind)")
        }
    }

    /// `matrix.references`: sets of references, each set multiplying the jobs once.
    mutating func validateReferenceSets(_ value: JSONValue?, at path: JSONPath) -> [[String]] {
        guard let value else { return ManifestDefaults.referenceSets }
        guard case .array(let sets) = value else {
            problem(path, "expected an array of reference sets (arrays of files or URLs), found \(value.typeName)")
            return ManifestDefaults.referenceSets
        }
        if sets.isEmpty { problem(path, "must hold at least one set; use [[]] for none") }
        var result: [[String]] = []
        var firstIndexOfSet: [[String]: Int] = [:]
        for (index, set) in sets.enumerated() {
            let setPath = path.index(index)
            guard let references = decoder.stringArray(set, at: setPath, nonEmpty: false) else { continue }
            for (k, reference) in references.enumerated() { checkReference(reference, at: setPath.index(k)) }
            if let first = firstIndexOfSet[references.sorted()] {
                warning(setPath, "lists the same references as \(path.index(first)), so its jobs repeat that set's jobs")
            } else {
                firstIndexOfSet[references.sorted()] = index
            }
            result.append(references)
        }
        return result.isEmpty ? ManifestDefaults.referenceSets : result
    }

    /// `addReferences` of a prompt or step: references added to every job it makes.
    mutating func validateAddedReferences(_ value: JSONValue?, at path: JSONPath) -> [String] {
        let added = decoder.stringArray(value, at: path, nonEmpty: false) ?? []
        for (k, reference) in added.enumerated() { checkReference(reference, at: path.index(k)) }
        return added
    }
}
