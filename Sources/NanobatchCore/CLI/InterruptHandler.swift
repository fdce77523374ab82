import Dispatch
import Foundation

/// Turns Ctrl-C into a stop request (first press) and cancellation (second press).
package final class InterruptHandler: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private let presses = Locked(0)

    package init(stop: StopSignal, cancel: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let presses = self.presses
        source.setEventHandler { @Sendable in
            if presses.withLock({
                $0 += 1
                return $0
            }) == 1 {
                stop.requestStop("interrupted (Ctrl-C)")
                FileHandle.standardError.write(
                    Data("\nstopping: no new jobs; waiting for jobs in flight (Ctrl-C again to abandon them)\n".utf8))
            } else {
                cancel()
            }
        }
        source.resume()
    }
}
