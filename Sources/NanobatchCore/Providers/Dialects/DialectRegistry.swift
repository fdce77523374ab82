import Foundation

/// Every dialect nanobatch speaks, in the order messages and the schema list them.
///
/// Adding a dialect:
/// 1. Make a folder `Providers/Dialects/<Name>/` holding `<Name>Dialect.swift` (a `Dialect`: name,
///    model table, default base URL, auth style, options it takes, submission kind, poll default,
///    `makeProvider`) and a pure `<Name>Translator.swift` (request bodies, answer parsing). An async
///    task API's translator is an `AsyncTaskTranslator` (create body, task id, poll answer → state,
///    retry policy) and `makeProvider` returns `AsyncTaskDriver(client:translator:)`; a synchronous
///    API adds its adapter `<Name>Provider.swift` (fetch references, send, store the image).
/// 2. Add one line to `DialectRegistry.all`, and the name to the `dialect` enum of
///    `manifests/nanobatch.schema.json` (a test compares the two).
/// 3. Tests: `<Name>TranslatorTests` (table tests, no HTTP), a fake in `Fakes/DialectFakes.swift`,
///    a case in `ProviderEndToEndTests`.
enum DialectRegistry {
    static let all: [any Dialect] = [
        OfflineDialect(),
        OpenAIImagesDialect(),
        MountseaDialect(),
        ImageTasksDialect(),
        EvolinkDialect(),
        GeminiDialect(),
    ]

    static func dialect(named name: String) -> (any Dialect)? { all.first { $0.name == name } }

    static var names: [String] { all.map(\.name) }

    /// The dialects that take `option`, in registry order.
    static func names(accepting option: ProviderOption) -> [String] {
        all.filter { $0.accepts(option) }.map(\.name)
    }
}
