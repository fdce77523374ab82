import Dispatch
import Foundation

/// Turns Ctrl-C into a stop request (first press) and cancellation (second press), and SIGTERM (a CI
/// job cancelled, a container stopped) into both at once: the process is about to be killed, so jobs
/// in flight are abandoned at once and the run still writes its index and says why it stopped.
/// Abandoned async tasks stay open in the journal, so the next run resumes them instead of paying again.
package final class InterruptHandler: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]
    private let presses = Locked(0)

    /// `console`: where the notices go, through its lock, so they clear the progress line first.
    package init(stop: StopSignal, console: Console, cancel: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        let presses = self.presses
        interrupt.setEventHandler { @Sendable in
            if presses.withLock({
                $0 += 1
                return $0
            }) == 1 {
                stop.requestStop("interrupted (Ctrl-C)")
                console.err("\nstopping: no new jobs; waiting for jobs in flight (Ctrl-C again to abandon them)\n")
            } else {
                cancel()
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
