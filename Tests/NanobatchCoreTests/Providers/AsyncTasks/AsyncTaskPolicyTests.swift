import Testing

@testable import NanobatchCore

@Suite(.timeLimit(.minutes(2))) struct AsyncTaskPolicyTests {
    static let retrying = AsyncTaskPolicy(retryLaterCodes: ["busy"], costUnit: .credits)

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let policy: AsyncTaskPolicy
        let failure: ProviderFailure
        let resubmitsAfterResuming: Bool
        let note: String
        var testDescription: String { name }
    }

    static let cases = [
        Case(
            name: "standard: 404 means unknown", policy: .standard, failure: ProviderFailure("gone", httpStatus: 404),
            resubmitsAfterResuming: true, note: "journaled task t1 is unknown to the provider; submitted again"),
        Case(
            name: "standard: a failed task is final", policy: .standard, failure: ProviderFailure("failed", providerCode: "busy"),
            resubmitsAfterResuming: false, note: "journaled task t1 is unknown to the provider; submitted again"),
        Case(
            name: "retry-later code resubmits", policy: retrying, failure: ProviderFailure("failed", providerCode: "busy"),
            resubmitsAfterResuming: true, note: "journaled task t1 cannot be resumed (busy); submitted again"),
        Case(
            name: "retry-later policy, 410", policy: retrying, failure: ProviderFailure("gone", httpStatus: 410),
            resubmitsAfterResuming: true, note: "journaled task t1 cannot be resumed (unknown to the provider); submitted again"),
        Case(
            name: "retry-later policy, other code is final", policy: retrying, failure: ProviderFailure("no", providerCode: "bad"),
            resubmitsAfterResuming: false, note: "journaled task t1 cannot be resumed (bad); submitted again"),
    ]

    @Test(arguments: cases)
    func resumeDecisionAndNote(_ testCase: Case) {
        #expect(testCase.policy.resubmitsAfterResuming(testCase.failure) == testCase.resubmitsAfterResuming)
        #expect(testCase.policy.resumeNote(taskID: "t1", failure: testCase.failure) == testCase.note)
    }

    @Test func onlyAPolicyWithRetryLaterCodesResubmitsFailedTasks() {
        #expect(!AsyncTaskPolicy.standard.resubmitsFailedTasks)
        #expect(Self.retrying.resubmitsFailedTasks)
        #expect(Self.retrying.isRetryLater(ProviderFailure("x", providerCode: "busy")))
        #expect(!Self.retrying.isRetryLater(ProviderFailure("x")))
    }
}
