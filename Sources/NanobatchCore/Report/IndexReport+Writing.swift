import Foundation

/// Writing `index.json`: indented, keys sorted by their UTF-8 bytes and absent values left out, exactly
/// as JSONEncoder with `.sortedKeys` would say it (IndexWriterTests holds it to that), but without it:
/// JSONEncoder alone took a second and most of a gigabyte at 100,000 rows.
extension IndexReport {
    /// Writes the file atomically (see `FileIO.writeAtomically`).
    func write(to path: String, temporaryDirectory: String?) throws {
        try FileIO.writeAtomically(encodedText().bytes, to: path, temporaryDirectory: temporaryDirectory)
    }

    /// The whole file: the header through `JSONValue`, the rows (most of the file) written directly.
    func encodedText() -> TextBuffer {
        var out = TextBuffer(capacity: 1024 + jobs.count * 1400)
        out.append("{\n")
        let entries = header.entries
        for (index, entry) in entries.enumerated() {
            out.append("  ")
            out.appendJSONString(entry.key)
            out.append(": ")
            if entry.key == "jobs" {
                IndexReport.writeRows(jobs, to: &out)
            } else {
                entry.value.writePretty(to: &out, indent: "  ")
            }
            out.append(index < entries.count - 1 ? ",\n" : "\n")
        }
        out.append("}")
        return out
    }

    /// Every top-level field, with an empty `jobs` standing in for the rows.
    var header: JSONObject {
        JSONObject(sorted: [
            "budget": budget.map(JSONValue.number),
            "budgetSpent": budgetSpent.map(JSONValue.number),
            "diff": diff.map { diff in
                JSONValue.object(
                    JSONObject(sorted: [
                        "changedNotMade": .array(
                            diff.changedNotMade.map { .object(JSONObject(sorted: ["id": .string($0.id), "reason": .string($0.reason)])) }),
                        "madeAgain": .array(
                            diff.madeAgain.map { .object(JSONObject(sorted: ["id": .string($0.id), "reason": .string($0.reason)])) }),
                        "new": .array(diff.new.map(JSONValue.string)),
                        "previousBuild": diff.previousBuild.map(JSONValue.string),
                        "removed": .array(diff.removed.map(JSONValue.string)),
                        "restored": .array(
                            diff.restored.map { .object(JSONObject(sorted: ["id": .string($0.id), "reason": .string($0.reason)])) }),
                        "unchanged": .number(Double(diff.unchanged)),
                    ]))
            },
            "formatVersion": .number(Double(formatVersion)),
            "generatedAt": .string(generatedAt),
            "jobs": .array([]),
            "manifest": .string(manifest),
            "selectors": selectors.map { .array($0.map(JSONValue.string)) },
            "shard": shard.map(JSONValue.string),
            "rateLimitCuts": rateLimitCuts.map { .object(JSONObject(sorted: $0.mapValues { .number(Double($0)) })) },
            "skippedForBudget": skippedForBudget.map { .array($0.map(JSONValue.string)) },
            "stoppedBecause": stoppedBecause.map(JSONValue.string),
            "totals": .object(
                JSONObject(sorted: [
                    "actualCost": .object(JSONObject(sorted: totals.actualCost.mapValues(JSONValue.number))),
                    "attempts": .number(Double(totals.attempts)),
                    "cached": .number(Double(totals.cached)),
                    "estimatedCost": .number(totals.estimatedCost),
                    "failed": .number(Double(totals.failed)),
                    "jobs": .number(Double(totals.jobs)),
                    "made": .number(Double(totals.made)),
                    "pending": totals.pending.map { .number(Double($0)) },
                    "notSelected": totals.notSelected.map { .number(Double($0)) },
                    "resumedTasks": .number(Double(totals.resumedTasks)),
                    "skipped": .number(Double(totals.skipped)),
                    "skippedForBudget": .number(Double(totals.skippedForBudget)),
                    "unknownPriceJobs": .number(Double(totals.unknownPriceJobs)),
                    "unresolvedSubmissions": .number(Double(totals.unresolvedSubmissions)),
                    "wallSeconds": .number(totals.wallSeconds),
                ])),
            "unresolvedSubmissions": unresolvedSubmissions.map { submissions in
                .array(
                    submissions.map {
                        .object(
                            JSONObject(sorted: [
                                "job": .string($0.job), "key": .string($0.key), "provider": .string($0.provider),
                                "submittedAt": .string($0.submittedAt),
                            ]))
                    })
            },
        ])
    }

    /// The rows as an indented array, keys sorted and absent values left out, as JSONEncoder would.
    static func writeRows(_ rows: [JobRow], to out: inout TextBuffer) {
        guard !rows.isEmpty else {
            out.append("[]")
            return
        }
        out.append("[\n")
        for (index, row) in rows.enumerated() {
            out.append("    {\n")
            var first = true
            func key(_ name: StaticString) {
                out.append(first ? "      \"" : ",\n      \"")
                first = false
                out.append(name)
                out.append("\": ")
            }
            func string(_ name: StaticString, _ value: String?) {
                guard let value else { return }
                key(name)
                out.appendJSONString(value)
            }
            func number(_ name: StaticString, _ value: Double?) {
                guard let value else { return }
                key(name)
                out.appendJSONNumber(value)
            }
            func integer(_ name: StaticString, _ value: Int?) {
                guard let value else { return }
                key(name)
                out.append(value)
            }
            func boolean(_ name: StaticString, _ value: Bool?) {
                guard let value else { return }
                key(name)
                out.append(value ? "true" : "false")
            }
            func strings(_ name: StaticString, _ values: [String]?) {
                guard let values else { return }
                key(name)
                guard !values.isEmpty else {
                    out.append("[]")
                    return
                }
                out.append("[\n")
                for (position, value) in values.enumerated() {
                    out.append("        ")
                    out.appendJSONString(value)
                    out.append(position < values.count - 1 ? ",\n" : "\n")
                }
                out.append("      ]")
            }
            // Alphabetical, as JSONEncoder's sortedKeys orders them.
            number("actualCost", row.actualCost)
            string("aspectRatio", row.aspectRatio)
            integer("attempts", row.attempts)
            string("batch", row.batch)
            string("batchState", row.batchState)
            integer("bytes", row.bytes)
            string("change", row.change)
            string("changeReason", row.changeReason)
            string("costUnit", row.costUnit)
            string("dialect", row.dialect)
            number("durationSeconds", row.durationSeconds)
            string("error", row.error)
            number("estimatedCost", row.estimatedCost)
            string("file", row.file)
            string("format", row.format)
            integer("height", row.height)
            integer("httpStatus", row.httpStatus)
            string("id", row.id)
            string("imageSize", row.imageSize)
            boolean("isPick", row.isPick)
            string("key", row.key)
            string("model", row.model)
            strings("notes", row.notes)
            string("previousStorePath", row.previousStorePath)
            string("prompt", row.prompt)
            string("promptID", row.promptID)
            string("provider", row.provider)
            string("providerCode", row.providerCode)
            boolean("ratioMismatch", row.ratioMismatch)
            string("rawAnswer", row.rawAnswer)
            strings("referenceHashes", row.referenceHashes)
            strings("references", row.references)
            string("requestedFormat", row.requestedFormat)
            string("resumedTask", row.resumedTask)
            boolean("skippedForBudget", row.skippedForBudget)
            string("status", row.status.rawValue)
            string("step", row.step)
            string("stepPrompt", row.stepPrompt)
            string("storePath", row.storePath)
            integer("take", row.take)
            string("upstream", row.upstream)
            string("upstreamOutputHash", row.upstreamOutputHash)
            key("variables")
            writeStrings(row.variables, to: &out)
            integer("variant", row.variant)
            integer("width", row.width)
            out.append(index < rows.count - 1 ? "\n    },\n" : "\n    }\n")
        }
        out.append("  ]")
    }

    /// A string map as JSONEncoder writes it within a row: keys sorted by their UTF-8 bytes, `{}` when empty.
    static func writeStrings(_ values: [String: String], to out: inout TextBuffer) {
        guard !values.isEmpty else {
            out.append("{}")
            return
        }
        out.append("{\n")
        let keys = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (position, name) in keys.enumerated() {
            out.append("        ")
            out.appendJSONString(name)
            out.append(": ")
            out.appendJSONString(values[name] ?? "")
            out.append(position < keys.count - 1 ? ",\n" : "\n")
        }
        out.append("      }")
    }
}
