import Foundation

/// Why the remote store could not be used. The text names the URL and the cause; secrets are
/// removed before it is made (see `RemoteStoreClient`).
package struct RemoteStoreError: Error, CustomStringConvertible, Equatable {
    package enum Kind: Sendable, Equatable {
        /// No answer: refused connection, timeout, a broken answer.
        case unreachable
        /// An HTTP answer that is neither success nor "not there".
        case refused(status: Int)
        /// Bytes whose SHA-256, image header or size differ from what they were stored under.
        case corrupt
        /// A job record that is not one nanobatch wrote.
        case malformedRecord
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
