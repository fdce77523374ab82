/// `explain` says why a job will be made; the page says, after the build, why it was: the same
/// reasons in the past tense. Rewrites apply to the start of each `; `-separated part (and one ending).
enum ReasonWording {
    /// Opening words of `BuildExplainer`'s details and their past-tense form, longest first where they overlap.
    static let openings: [(String, String)] = [
        ("no entry yet", "there was no image yet"),
        ("entry failed its check", "the stored entry failed its check"),
        ("prompt changed", "the prompt had changed"),
        ("model or options changed", "the model or options had changed"),
        ("references changed", "the references had changed"),
        ("a reference's bytes changed", "a reference's bytes had changed"),
        ("upstream output changed", "the upstream output had changed"),
        ("same request as", "it was the same request as"),
        ("the store still had", "the store still had"),
    ]
    /// Phrases inside a part.
    static let phrases: [(String, String)] = [
        (" will be made again", " was made again"),
        ("(new job; waits for ", "(new job; waited for "),
        ("the image is gone from the store", "the image was gone from the store"),
        ("its content key changed", "its content key had changed"),
        ("the stored image is incomplete or corrupt", "the stored image was incomplete or corrupt"),
    ]

    static func pastTense(_ detail: String) -> String {
        detail.components(separatedBy: "; ").map { part in
            // Which source was made again is the row's own business; the group's line says it once for all.
            if part.hasPrefix("upstream output changed: "), part.hasSuffix(" will be made again") {
                return "the upstream output had changed: its source image was made again"
            }
            var text = part
            if let (from, to) = openings.first(where: { text.hasPrefix($0.0) }) { text = to + text.dropFirst(from.count) }
            for (from, to) in phrases { text = text.replacingOccurrences(of: from, with: to) }
            return text
        }.joined(separator: "; ")
    }
}
