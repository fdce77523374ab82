import Foundation

/// How many jobs the manifest expands to, counted per model and ratio without building them (the
/// planner's order of expansion, on counts): steps that keep no job of their source are errors, a
/// very large build is a warning.
extension ManifestValidator {
    /// Above this many jobs, `validate` and `plan` warn (a run can still be right).
    static let largeBuildJobs = 100_000

    private struct Slot: Hashable {
        var model: ModelRef
        var ratio: AspectRatio
    }

    mutating func checkExpansion(_ matrix: Matrix, steps: [Step]) {
        var groups: [String: [Slot: Int]] = [:]
        var total = 0
        for prompt in matrix.prompts {
            var slots: [Slot: Int] = [:]
            let used = Set((try? Template(parsing: prompt.text))?.names ?? [])
            let combinations = matrix.variables.filter { used.contains($0.name) }
                .reduce(1) { $0 * (prompt.variables[$1.name] ?? $1.values).count }
            let perSlot = matrix.references.count * (prompt.variants ?? matrix.variants) * combinations
            for model in prompt.models ?? matrix.models {
                for ratio in prompt.aspectRatios ?? matrix.aspectRatios { slots[Slot(model: model, ratio: ratio), default: 0] += perSlot }
            }
            groups[prompt.id] = slots
            total += slots.values.reduce(0, +)
        }
        // Steps may name later steps as their source: resolve in dependency order, as the planner does.
        var pending = Array(steps.enumerated())
        while let position = pending.firstIndex(where: { groups[$0.element.from] != nil }) {
            let (index, step) = pending.remove(at: position)
            let source = groups[step.from] ?? [:]
            let kept = source.filter { slot, _ in
                (step.models?.contains(slot.model) ?? true) && (step.aspectRatios?.contains(slot.ratio) ?? true)
            }
            if kept.isEmpty && !source.isEmpty {
                let made = Set(source.keys.map { "\($0.model.qualified) at \($0.ratio.rawValue)" }).sorted()
                problem(
                    JSONPath.root.key("steps").index(index).key("from"),
                    "no job of \"\(step.from)\" matches this step's models and aspectRatios (\"\(step.from)\" makes \(ManifestDecoder.list(made)))"
                )
            }
            groups[step.id] = kept.mapValues { $0 * step.variants }
            total += kept.values.reduce(0, +) * step.variants
        }
        if total > ManifestValidator.largeBuildJobs {
            warning(
                .root,
                "the manifest expands to \(total) jobs (more than \(ManifestValidator.largeBuildJobs)); check the matrix and its variants before running"
            )
        }
    }
}
