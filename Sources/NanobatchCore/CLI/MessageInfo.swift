import Foundation

/// What the user is told when a command throws, and the exit status: decided here and nowhere else.
struct MessageInfo: Equatable {
    var text: String
    var exitCode: ExitCode

    init(text: String, exitCode: ExitCode) {
        self.text = text
        self.exitCode = exitCode
    }

    init(_ error: any Error) {
        switch error {
        case let usage as UsageError:
            self.init(text: "error: \(usage.message)\n" + (usage.hint.map { "\($0)\n" } ?? ""), exitCode: .usage)
        case let manifest as ManifestError:
            // Each line carries its own `file:line:column: error:` prefix.
            self.init(text: "\(manifest)\n", exitCode: .usage)
        case let plan as PlanError:
            self.init(text: "error: \(plan.message)\n", exitCode: .usage)
        case let failure as BuildFailure:
            switch failure.moment {
            case .beforeWork:
                self.init(text: "error: \(failure); nothing was run\n", exitCode: .cannotContinue)
            case .afterWork:
                self.init(
                    text: "error: \(failure); finished images are kept in the store, run again to finish\n",
                    exitCode: .cannotContinue)
            case .noWork:
                self.init(text: "error: \(failure)\n", exitCode: .cannotContinue)
            }
        default:
            self.init(text: "error: \(BuildFailure.describe(error))\n", exitCode: .cannotContinue)
        }
    }
}
