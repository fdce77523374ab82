import Foundation
import NanobatchCore

let stop = StopSignal()
let cli = NanobatchCLI(console: .standard(), environment: ProcessInfo.processInfo.environment, stop: stop)
let work = Task { await cli.run(Array(CommandLine.arguments.dropFirst())) }
let interrupts = InterruptHandler(stop: stop, cancel: { work.cancel() })
let status = await work.value
withExtendedLifetime(interrupts) {}
exit(status)
