/// Durations as the CLI prints them.
enum ElapsedTime {
    /// "0:01:12": hours, minutes, seconds (whole seconds, cut down), for the progress line.
    static func clock(_ seconds: Double) -> String {
        let total = seconds.isFinite ? max(0, Int(seconds)) : 0
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return "\(hours):\(minutes < 10 ? "0" : "")\(minutes):\(rest < 10 ? "0" : "")\(rest)"
    }

    /// "0.4s", "12.3s", "1m 12s", "2h 5m 0s": for the total time of a run.
    static func short(_ seconds: Double) -> String {
        let value = seconds.isFinite ? max(0, seconds) : 0
        if value < 59.95 { return FixedPoint.format(value, decimals: 1) + "s" }
        let total = Int(value.rounded())
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? "\(hours)h \(minutes)m \(rest)s" : "\(minutes)m \(rest)s"
    }
}
