import Foundation

/// The run stage's lanes, built from the manifest: one per provider that has work in the plan (a fully cached build
/// needs no API key), each with its adapter, governor and job deadline; all share one transport
/// (URLSession, with `plainHTTP` for `http://` URLs when given).
extension ProviderLane {
    static func make(
        for plan: EvaluatedPlan, manifest: Manifest, environment: [String: String], plainHTTP: (any HTTPTransport)?,
        override: (@Sendable (ProviderConfig) -> (any ImageProvider)?)?, run: GeminiBatchRunContext? = nil
    ) throws -> [ProviderLane] {
        let needed = Set(plan.graph.jobs.filter { plan.willBeMade($0.index) }.map(\.provider))
        var transport: StandardTransport?
        func sharedTransport() -> StandardTransport {
            if let transport { return transport }
            let made = StandardTransport(environment: environment, plainHTTP: plainHTTP)
            transport = made
            return made
        }
        var lanes: [ProviderLane] = []
        for config in manifest.providers where needed.contains(config.name) {
            let governor = RateGovernor(concurrency: config.concurrency, requestsPerMinute: config.requestsPerMinute)
            let provider =
                try override?(config)
                ?? ProviderFactory.make(config, environment: environment, transport: sharedTransport(), governor: governor, run: run)
            lanes.append(
                ProviderLane(name: config.name, provider: provider, governor: governor, deadline: .seconds(config.deadlineSeconds)))
        }
        return lanes
    }
}
