import Foundation

/// When a provider shuts a model id down, and the id that replaces it: data in a dialect's model
/// table, so the next retirement is a table edit. Dates are UTC days, `YYYY-MM-DD`.
package struct Retirement: Sendable, Equatable {
    package var date: String
    package var successor: String

    package init(date: String, successor: String) {
        self.date = date
        self.successor = successor
    }

    /// Whether the model is gone on `today` (a `YYYY-MM-DD` day; ISO days compare as text).
    package func isPast(today: String) -> Bool { date <= today }

    /// What `validate` says about `model` on `today`: an error once it is shut down, a warning before.
    package func message(for model: String, today: String) -> String {
        isPast(today: today)
            ? "\"\(model)\" was shut down on \(date); use \"\(successor)\""
            : "\"\(model)\" will be shut down on \(date); use \"\(successor)\""
    }

    /// Today as a UTC `YYYY-MM-DD` day.
    package static func today(_ now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
