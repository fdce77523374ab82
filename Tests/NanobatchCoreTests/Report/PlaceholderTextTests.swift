import Foundation
import Testing

@testable import NanobatchCore

/// Offline placeholders say which job they stand for (prompt or step id, model, variant, take) besides
/// ratio and size, so a layout preview tells `hero` from `hero-night`; the same inputs still give the same bytes.
@Suite(.timeLimit(.minutes(1))) struct PlaceholderTextTests {
    @Test func everyCharacterOfIdsAndModelNamesHasAGlyph() {
        let blank = BitmapFont.glyphs[" "]!
        for character in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:·=+#()" {
            let glyph = BitmapFont.glyph(character)
            #expect(glyph != blank && glyph != BitmapFont.glyphs["?"]!, "no glyph for \(character)")
        }
        #expect(BitmapFont.glyph("é") == BitmapFont.glyphs["?"]!, "what the font lacks is drawn as ?")
    }

    @Test func theOfflineProviderWritesTheJobsLabelOnItsImage() async throws {
        let workspace = try TestWorkspace()
        try workspace.write("refs/a.png", data: smallPNG(seed: "a"))
        let manifest = try workspace.write(
            "m.json",
            baseManifest(
                prompts: #"[ { "id": "hero", "text": "A red cube" } ]"#, ratios: #"["16:9"]"#, references: "[[]]",
                extra: #", "steps": [ { "id": "hero-night", "from": "hero", "prompt": "At night" } ]"#))
        #expect(await runCLI(["run", manifest, "--output", workspace.outputRoot.path, "--quiet"]).status == 0)
        let index = try readIndex(workspace, manifest: "test")
        #expect(index.jobRows.count == 2)
        var images: [Data] = []
        for row in index.jobRows {
            let id = try #require(row["id"]?.stringValue)
            let group = try #require(row["step"]?.stringValue ?? row["promptID"]?.stringValue)
            let stored = try Data(contentsOf: workspace.outputRoot.appendingPathComponent(try #require(row["storePath"]?.stringValue)))
            let expected = PlaceholderImage.render(
                key: try #require(row["key"]?.stringValue), aspectRatio: "16:9", imageSize: "0.5K",
                lines: [group, "nano-banana-2", "v1 · take 1"])
            #expect(stored == expected, "\(id): the placeholder says \(group), the model, variant and take")
            images.append(stored)
        }
        // The same content key with another label is another picture: the text is really drawn.
        let key = try #require(index.jobRows[0]["key"]?.stringValue)
        let hero = PlaceholderImage.render(
            key: key, aspectRatio: "16:9", imageSize: "0.5K", lines: ["hero", "nano-banana-2", "v1 · take 1"])
        let night = PlaceholderImage.render(
            key: key, aspectRatio: "16:9", imageSize: "0.5K", lines: ["hero-night", "nano-banana-2", "v1 · take 1"])
        #expect(hero != night)
        let heroInk = try inkPixels(hero)
        let nightInk = try inkPixels(night)
        #expect(nightInk > heroInk, "more letters, more ink: \(heroInk) vs \(nightInk)")
        #expect(
            hero
                == PlaceholderImage.render(
                    key: key, aspectRatio: "16:9", imageSize: "0.5K", lines: ["hero", "nano-banana-2", "v1 · take 1"]))
    }

    /// Pixels drawn in the ink colour (a third of the background's), frame included.
    func inkPixels(_ png: Data) throws -> Int {
        let decoded = try decodeTestPNG(png)
        let background = Array(
            decoded.pixels[(decoded.width * (decoded.height / 2) + 10) * 3..<(decoded.width * (decoded.height / 2) + 10) * 3 + 3])
        let ink = background.map { $0 / 3 }
        var count = 0
        for index in stride(from: 0, to: decoded.pixels.count, by: 3) where Array(decoded.pixels[index..<index + 3]) == ink { count += 1 }
        return count
    }
}
