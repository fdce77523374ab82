import Foundation

/// Decides, answer by answer, whether a provider's 429s mean "you are sending too fast" or are noise
/// that slowing down would not stop (a gateway reselling shared capacity answers 429 at random).
/// Pure data: the caller says which answers count and in which phase the lane is.
///
/// - **Dense** 429s always count: more 429s than accepts among the recent answers (Google SRE's
///   client-side throttling test, `requests > K · accepts` with K = 2), or a run of 429s too long to be
///   chance at the background share (`streak`, or more: odds under one in a million).
/// - **Excess** 429s count only when the caller allows it (the lane is sending above the rate of its
///   last cut): their share of the recent answers is above the lane's background share by more than
///   `margin`, or by two standard errors of that share when that is more.
/// - The **background** share is learned from whole windows of answers that ended without a cut, when
///   the caller marks them as sent at a rate not above the last cut's (before any cut, or growing back).
package struct CongestionTest: Sendable, Equatable {
    package struct Settings: Sendable, Equatable {
        /// Recent answers the shares are taken over.
        package var window = 50
        /// Answers needed before an excess share is judged.
        package var minimumSample = 10
        /// 429s in a row that count as dense (more when the background share makes such runs likely).
        package var streak = 4
        /// Odds per answer below which a run of 429s is not chance.
        package var streakChance = 1e-6
        /// SRE's K: dense when requests exceed K × accepts (with at least `minimumDense` answers).
        package var denseMultiple = 2.0
        package var minimumDense = 8
        /// Least share above the background that counts as excess.
        package var margin = 0.05
        /// Weight of one window's share in the background's moving average.
        package var backgroundWeight = 0.5

        package static let standard = Settings()
    }

    /// What one answer showed.
    package enum Verdict: Sendable, Equatable {
        case noise
        case dense
        case excess
    }

    package let settings: Settings
    /// The recent answers, `true` for a 429 (a ring of `window` entries).
    private var recent: [Bool] = []
    private var next = 0
    private var limitedInWindow = 0
    private var inARow = 0
    /// Answers since the background last learned (or the window restarted).
    private var sinceLearned = 0
    /// The share of 429s that slowing down does not remove.
    package private(set) var background = 0.0

    package init(settings: Settings = .standard) {
        self.settings = settings
    }

    /// The share of 429s among the recent answers (0 with none).
    package var recentShare: Double { recent.isEmpty ? 0 : Double(limitedInWindow) / Double(recent.count) }

    /// Records one answer; `mayJudgeExcess` once the lane has been cut, `learnsBackground` while it
    /// sends at a rate not above its last cut's.
    package mutating func record(limited: Bool, mayJudgeExcess: Bool, learnsBackground: Bool) -> Verdict {
        remember(limited)
        inARow = limited ? inARow + 1 : 0
        sinceLearned += 1
        if sinceLearned >= settings.window {
            sinceLearned = 0
            if learnsBackground { background += (recentShare - background) * settings.backgroundWeight }
        }
        guard limited else { return .noise }
        let answers = Double(recent.count)
        let accepts = answers - Double(limitedInWindow)
        if inARow >= streakLength || recent.count >= settings.minimumDense && answers > settings.denseMultiple * accepts {
            return .dense
        }
        guard mayJudgeExcess, recent.count >= settings.minimumSample else { return .noise }
        let standardError = (background * (1 - background) / answers).squareRoot()
        return recentShare > background + max(settings.margin, 2 * standardError) ? .excess : .noise
    }

    /// 429s in a row that count as dense: `streak`, or as many as make the run that unlikely at the background share.
    package var streakLength: Int {
        guard background > 0, background < 1 else { return settings.streak }
        return max(settings.streak, Int((log(settings.streakChance) / log(background)).rounded(.up)))
    }

    /// Forgets the recent answers (after a cut, only answers to requests sent since then count).
    package mutating func restart() {
        recent.removeAll(keepingCapacity: true)
        next = 0
        limitedInWindow = 0
        inARow = 0
        sinceLearned = 0
    }

    private mutating func remember(_ limited: Bool) {
        if recent.count < settings.window {
            recent.append(limited)
        } else {
            if recent[next] { limitedInWindow -= 1 }
            recent[next] = limited
            next = (next + 1) % settings.window
        }
        if limited { limitedInWindow += 1 }
    }
}
