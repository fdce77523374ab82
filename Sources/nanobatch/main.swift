import Dispatch
import Foundation
import NanobatchCore

// First Ctrl-C: stop submitting and let jobs in flight finish. Second: cancel them too.
let stop = StopSignal()
let cli = NanobatchCLI(console: .standard(), environment: ProcessInfo.processInfo.environment, stop: stop)
let work = Task { await cli.run(Array(CommandLine.arguments.dropFirst())) }
signal(SIGINT, SIG_IGN)
let interrupts = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
let presses = ManagedAtomicCounter()
interrupts.setEventHandler {
    if presses.increment() == 1 {
        stop.requestStop("interrupted (Ctrl-C)")
        FileHandle.standardError.write(Data("\nstopping: no new jobs; waiting for jobs in flight (Ctrl-C again to abandon them)\n".utf8))
    } else {
        work.cancel()
    }
}
interrupts.resume()
exit(await work.value)
