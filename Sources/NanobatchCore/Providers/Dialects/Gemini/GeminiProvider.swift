import Foundation

/// Dialect `gemini`'s adapter (the official API, and gateways' Gemini-compatible endpoints):
/// `POST {base}/v1beta/models/{model}:generateContent` with `x-goog-api-key`. References travel
/// as `inline_data`; the image comes back as `inlineData`; blocked prompts and image finish reasons
/// are final failures; `usageMetadata` gives the actual cost.
package struct GeminiProvider: ImageProvider {
    package let client: ProviderClient

    package init(client: ProviderClient) { self.client = client }

    package func generate(_ request: GenerationRequest) async throws -> GenerationReceipt {
        let job = request.job
        var references: [ReferenceImage] = []
        for reference in request.references {
            references.append(try await client.referenceBytes(reference, deadline: request.deadline))
        }
        let body = GeminiTranslator.requestBody(job: job, references: references)
        var billable = 0
        let (_, answer) = try await client.sendJSON(
            "POST", GeminiTranslator.path(model: job.model), body: body, deadline: request.deadline,
            what: "generateContent", billable: &billable)
        let image: Data?
        do {
            let text = try GeminiTranslator.image(in: answer, redactor: client.redactor)
            guard let bytes = ResultDecoder.base64(text) else { throw ProviderFailure("inlineData.data is not valid base64") }
            image = try await client.acceptImage(bytes, destination: request.destination)
        } catch var failure as ProviderFailure {
            failure.attempts = billable
            if failure.rawAnswer == nil { failure.rawAnswer = client.redactor.record(GeminiTranslator.withoutImageData(answer).data()) }
            throw failure
        }
        let usage = answer["usageMetadata"]
        let cost = usage.flatMap { GeminiTranslator.cost(usage: $0, model: job.model) }
        let notes = usage.map { [GeminiTranslator.usageNote($0)] } ?? []
        return GenerationReceipt(actualCost: cost, attempts: billable, notes: notes, image: image)
    }
}
