import Dispatch
import Foundation

/// Turns Ctrl-C into a stop request (first press) and cancellation (second press), and SIGTERM (a CI
/// job cancelled, a container stopped) into both at once: the process is about to be killed, so jobs
/// in flight are abandoned at once and the run still writes its index and says why it stopped.
/// Abandoned async tasks stay open in the journal, so the next run resumes them instead of paying again.
package final class InterruptHandler: @unchecked Sendable {
    /// What one Ctrl-C means.
    enum Press: Equatable { case stop, echo, abandon }

    /// A second SIGINT this soon after the first is the same stop delivered twice (`timeout -s INT`
    /// signals the process and its group), not a person pressing again.
    static let echoWindow = 0.25

    /// `first`: when the first Ctrl-C came (seconds on a monotonic clock), nil if none yet.
    static func press(at now: Double, first: Double?) -> Press {
        guard let first else { return .stop }
        return now - first < echoWindow ? .echo : .abandon
    }

    private let sources: [DispatchSourceSignal]
    private let firstPress = Locked<Double?>(nil)

    /// `console`: where the notices go, through its lock, so they clear the progress line first.
    package init(stop: StopSignal, console: Console, cancel: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        let firstPress = self.firstPress
        interrupt.setEventHandler { @Sendable in
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            let press = firstPress.withLock { first in
                defer { if first == nil { first = now } }
                return InterruptHandler.press(at: now, first: first)
            }
            switch press {
            case .stop:
                stop.requestStop("interrupted (Ctrl-C)")
                console.err("\nstopping: no new jobs; waiting for jobs in flight (Ctrl-C again to abandon them)\n")
            case .echo: break
            case .abandon: cancel()
            }
        }
        terminate.setEventHandler { @Sendable in
            stop.requestStop("terminated (SIGTERM)")
            console.err("\nstopping: terminated (SIGTERM); abandoning jobs in flight, writing the index\n")
            cancel()
        }
        sources = [interrupt, terminate]
        for source in sources { source.resume() }
    }
}
