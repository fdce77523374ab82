import Foundation

/// A failure of the file work around a build (output root, lock, store, reports), with what the
/// command was doing and whether paid work had already started.
struct BuildFailure: Error, CustomStringConvertible {
    /// When it happened, which decides what the user is told about their work.
    enum Moment: Sendable {
        /// Nothing was run.
        case beforeWork
        /// Jobs ran: finished images are in the store.
        case afterWork
        /// The command runs no jobs (`report`, `clean`).
        case noWork
    }

    var doing: String
    var cause: String
    var moment: Moment

    init(_ doing: String, cause: any Error, moment: Moment) {
        self.doing = doing
        self.cause = BuildFailure.describe(cause)
        self.moment = moment
    }

    init(_ doing: String, because cause: String, moment: Moment) {
        self.doing = doing
        self.cause = cause
        self.moment = moment
    }

    static func busy(_ root: String, moment: Moment) -> BuildFailure {
        BuildFailure("use \(root)", because: "another nanobatch run is using it; wait for it to finish", moment: moment)
    }

    var description: String { "could not \(doing): \(cause)" }

    /// An error's cause in words: our own errors say it themselves; Foundation's are reduced to
    /// their message and the system's reason, never a raw dump of the error domain.
    static func describe(_ error: any Error) -> String {
        guard error is CocoaError || type(of: error) is NSError.Type else { return String(describing: error) }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}

extension BuildFailure {
    /// Runs file work; an error it throws becomes a `BuildFailure` that says what was being done.
    static func during<T>(_ doing: String, _ moment: Moment, _ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let failure as BuildFailure {
            throw failure
        } catch {
            throw BuildFailure(doing, cause: error, moment: moment)
        }
    }
}
