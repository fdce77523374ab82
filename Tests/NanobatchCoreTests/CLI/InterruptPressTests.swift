import Foundation
import Testing

@testable import NanobatchCore

/// Ctrl-C once stops, twice abandons; the same SIGINT delivered twice at once counts once.
@Suite(.timeLimit(.minutes(1))) struct InterruptPressTests {
    @Test func firstPressStopsALaterOneAbandonsAnEchoIsIgnored() {
        #expect(InterruptHandler.press(at: 100, first: nil) == .stop)
        #expect(InterruptHandler.press(at: 100.01, first: 100) == .echo)
        #expect(InterruptHandler.press(at: 100 + InterruptHandler.echoWindow, first: 100) == .abandon)
        #expect(InterruptHandler.press(at: 103, first: 100) == .abandon)
    }
}
