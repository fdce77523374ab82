/// `nanobatch COMMAND --help`: one command's usage line, what it does, and only its own options.
extension CommandSpec {
    package var help: String {
        let arguments = positionals.isEmpty ? "" : " \(positionals)"
        var text =
            "Usage: nanobatch \(name)\(arguments)\((options.isEmpty && flags.isEmpty) ? "" : " [options]")\n\n\(summary)\n\nOptions:\n"
        var rows = options.map { ("--\($0.key) VALUE", $0.value) } + flags.map { ("--\($0.key)", $0.value) }
        rows.sort { $0.0 < $1.0 }
        rows.append(("-h, --help", "show this help"))
        for (label, help) in rows { text += "  \(label.padding(toLength: 20, withPad: " ", startingAt: 0)) \(help)\n" }
        return text
    }
}
