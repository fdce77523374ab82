import Foundation

@testable import NanobatchCore

/// A fenced code block of a Markdown file, and the `nanobatch` commands it shows.
struct ReadmeBlock {
    /// One `nanobatch` command line: `[NAME=value …] [swift run] nanobatch ARGS… [< FILE] [|| …] [# … exit N …]`.
    struct Command {
        let environment: [String: String]
        let arguments: [String]
        let standardInput: String?
        let expectedStatus: Int32
        let line: Int
    }

    let info: String
    let text: String
    /// The 1-based line of the block's first content line.
    let line: Int

    static func all(in markdown: String) -> [ReadmeBlock] {
        var blocks: [ReadmeBlock] = []
        var open: (info: String, line: Int, lines: [String])?
        for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var current = open {
                if trimmed == "```" {
                    blocks.append(ReadmeBlock(info: current.info, text: current.lines.map { $0 + "\n" }.joined(), line: current.line))
                    open = nil
                } else {
                    current.lines.append(String(line))
                    open = current
                }
            } else if trimmed.hasPrefix("```") {
                open = (String(trimmed.dropFirst(3)), index + 2, [])
            }
        }
        return blocks
    }

    /// The block's commands; `export NAME=value` lines add to the environment of the commands after them.
    var commands: [Command] {
        var exported: [String: String] = [:]
        var commands: [Command] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(separator: " ").map(String.init)
            if words.count == 2, words[0] == "export", let equals = words[1].firstIndex(of: "=") {
                exported[String(words[1][..<equals])] = String(words[1][words[1].index(after: equals)...])
            } else if let command = ReadmeBlock.command(String(line), line: self.line + offset) {
                commands.append(
                    Command(
                        environment: exported.merging(command.environment) { $1 }, arguments: command.arguments,
                        standardInput: command.standardInput, expectedStatus: command.expectedStatus, line: command.line))
            }
        }
        return commands
    }

    static func command(_ line: String, line number: Int) -> Command? {
        var body = line.trimmingCharacters(in: .whitespaces)
        for prefix in ["- run:", "run:", "$ "] where body.hasPrefix(prefix) {
            body = body.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        }
        var comment = ""
        if let hash = body.range(of: " #") {
            comment = String(body[hash.upperBound...])
            body = String(body[..<hash.lowerBound])
        }
        // A GitHub expression (`${{ matrix.shard }}`) has no value here: ShardedStoreTests runs those commands.
        if body.contains("${{") { return nil }
        // A shell fallback (`|| test $? -eq 75`) is the recipe's business; the command is what comes before it.
        if let fallback = body.range(of: " || ") { body = String(body[..<fallback.lowerBound]) }
        var words = body.split(separator: " ").map(String.init)
        var environment: [String: String] = [:]
        while let first = words.first, let equals = first.firstIndex(of: "="),
            ManifestLoader.isEnvironmentVariableName(String(first[..<equals]))
        {
            environment[String(first[..<equals])] = String(first[first.index(after: equals)...])
            words.removeFirst()
        }
        if words.starts(with: ["swift", "run", "nanobatch"]) {
            words.removeFirst(3)
        } else if let first = words.first, first == "nanobatch" || first.hasSuffix("/nanobatch") {
            words.removeFirst()
        } else {
            return nil
        }
        var standardInput: String?
        if let redirect = words.firstIndex(of: "<"), redirect + 1 < words.count {
            standardInput = words[redirect + 1]
            words.removeSubrange(redirect...(redirect + 1))
        }
        var expected: Int32 = 0
        if let range = comment.range(of: #"exit (\d+)"#, options: .regularExpression) {
            expected = Int32(comment[range].dropFirst(5)) ?? 0
        }
        return Command(environment: environment, arguments: words, standardInput: standardInput, expectedStatus: expected, line: number)
    }

    /// A manifest from a README block: a whole manifest as it is, or a fragment (`"providers": {…}`)
    /// inside a manifest that gives it a name and, if it has none, a one-job matrix on its first provider.
    static func manifest(from text: String, name: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") { return text }
        let fragment = try JSONParser.parse(Data("{\(trimmed)}".utf8))
        var extra = ""
        if fragment["matrix"] == nil, let providers = fragment["providers"]?.objectValue, let first = providers.entries.first,
            let dialect = first.value["dialect"]?.stringValue, let model = DialectRegistry.dialect(named: dialect)?.models.first?.id
        {
            extra =
                #", "matrix": { "prompts": [ { "id": "p", "text": "a red cube" } ], "aspectRatios": ["1:1"], "models": ["\#(first.key):\#(model)"] }"#
        }
        return #"{ "version": 1, "name": "\#(name)", "# + trimmed + extra + "}\n"
    }

    /// Runs a command with the real executable from `folder`; the output is stdout and stderr together.
    static func run(_ command: Command, executable: URL, in folder: URL, environment: [String: String]) throws -> (
        status: Int32, output: String
    ) {
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasSuffix("_API_KEY") }
        base.merge(environment) { $1 }
        return try runExecutable(
            executable, command.arguments, in: folder, environment: base,
            standardInput: command.standardInput.map { folder.appendingPathComponent($0) })
    }
}
