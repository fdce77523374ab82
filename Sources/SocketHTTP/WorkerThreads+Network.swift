import NanobatchCore

extension WorkerThreads {
    /// For calls that block on the network: one thread per call in flight (callers bound how many),
    /// each kept `idleSeconds` for the next call.
    package static let network = WorkerThreads(count: 0, growingTo: 2048)
}
