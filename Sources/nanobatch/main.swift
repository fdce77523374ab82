import Foundation
import NanobatchCore
import SocketHTTP

#if canImport(Glibc)
    import Glibc

    // glibc raises its mmap threshold after each large free and gives every thread its own arena, so
    // many concurrent multi-MB transfers leave freed memory resident. A fixed threshold sends large
    // buffers straight back to the system; two arenas are plenty for a few busy threads.
    // (mallopt is in malloc.h, which the Glibc module does not import.)
    typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        let mallopt = unsafeBitCast(symbol, to: MalloptFunction.self)
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        let arenaMax: Int32 = -8  // M_ARENA_MAX
        _ = mallopt(mmapThreshold, 256 * 1024)
        _ = mallopt(arenaMax, 2)
    }
#endif

let stop = StopSignal()
let cli = NanobatchCLI(
    console: .standard(), environment: ProcessInfo.processInfo.environment, stop: stop,
    plainHTTP: SocketHTTPTransport())
let work = Task { await cli.run(Array(CommandLine.arguments.dropFirst())) }
let interrupts = InterruptHandler(stop: stop, console: cli.console, cancel: { work.cancel() })
let status = await work.value
withExtendedLifetime(interrupts) {}
exit(status)
