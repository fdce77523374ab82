import Foundation
import Testing

@testable import NanobatchCore

/// One rule for every printed amount: two decimals, more places only below a cent.
@Suite(.timeLimit(.minutes(1))) struct MoneyFormatTests {
    @Test(arguments: [
        (0.536, "$0.54"), (0.045, "$0.05"), (0.125, "$0.13"), (0.00123455, "$0.001235"), (1.072, "$1.07"), (12, "$12.00"), (0, "$0.00"),
        (0.067, "$0.07"), (0.01, "$0.01"),
        (0.0035, "$0.0035"), (0.001234567, "$0.001235"), (0.005, "$0.005"), (0.0099999999, "$0.01"), (0.0000125, "$0.0000125"),
        (1234.5, "$1234.50"), (-0.25, "-$0.25"), (Double.nan, "an unknown amount"),
    ])
    func oneRule(amount: Double, printed: String) {
        #expect(Money.format(amount) == printed)
    }

    @Test func otherUnitsCarryNoFloatNoise() {
        #expect(Money.describe(["USD": 0.536, "credits": 0.1 + 0.2]) == "$0.54 + 0.3 credits")
        #expect(Money.describe([:]) == "$0.00")
    }

    /// The plan table, unit prices included, follows the rule (before: `$0.536` next to `$1.07`).
    @Test func planTablePrintsTwoDecimals() async throws {
        let workspace = try TestWorkspace()
        let path = try workspace.write(
            "m.json",
            baseManifest(
                providers: #"{ "a": { "dialect": "offline" }, "b": { "dialect": "offline" } }"#,
                models: #"["a:nano-banana-2", "b:gemini-3-pro-image"]"#, references: "[[]]",
                extra: #", "pricing": { "a:nano-banana-2": 0.067, "b:gemini-3-pro-image": 0.0035 }"#,
                matrixExtra: #", "variants": 2"#))
        let plan = await runCLI(["plan", path, "--output", workspace.outputRoot.path])
        #expect(plan.status == 0, "\(plan.err)")
        #expect(plan.out.contains("$0.07"), "\(plan.out)")
        #expect(plan.out.contains("$0.54"), "8 × $0.067: \(plan.out)")
        #expect(plan.out.contains("$0.0035"), "below a cent: \(plan.out)")
        #expect(plan.out.contains("$0.03"), "8 × $0.0035 = $0.028: \(plan.out)")
        #expect(plan.out.contains("Estimated cost of this run: $0.56\n"), "\(plan.out)")
        #expect(!plan.out.contains("$0.067") && !plan.out.contains("$0.536"), "\(plan.out)")
    }
}
