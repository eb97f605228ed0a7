import Assistant
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoaCore
import Testing

/// Provider streams as the network delivers them: characters split across writes, multi-line
/// `data:`, and a provider that goes silent mid-answer.
@Suite struct ProviderStreamTests {
    static func chunk(_ text: String) -> String {
        let escaped = JSONValue.string(text).serialized
        return #"data: {"choices":[{"index":0,"delta":{"content":\#(escaped)}}]}"# + "\n\n"
    }

    /// Serves `/v1/chat/completions` as a stream written in `pieces`, pausing `pause` between them;
    /// `stallAfter` pieces in, it stops writing (without closing) for `stall`.
    static func server(pieces: [[UInt8]], stallAfter: Int? = nil, stall: Duration = .zero) -> some ApplicationProtocol {
        let router = Router()
        router.post("v1/chat/completions") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                for (index, piece) in pieces.enumerated() {
                    if index == stallAfter { try await Task.sleep(for: stall) }
                    try await writer.write(ByteBuffer(bytes: piece))
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await writer.finish(nil)
            })
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func collect(_ model: OpenAIModel) async throws -> String {
        var text = ""
        for try await event in model.respond(to: [ChatTurn(role: .user, content: "hi")], tools: [], context: ModelContext(now: Date(), timeZone: .gmt)) {
            if case .textDelta(let piece) = event { text += piece }
        }
        return text
    }

    @Test("UTF-8 split across network writes, CRLF and multi-line data survive") func splitUTF8() async throws {
        let stream = Array((Self.chunk("Grüße 🌍 ") + ": keep-alive\r\n\r\n" + "data: {\"choices\":[{\"index\":0,\r\ndata: \"delta\":{\"content\":\"naïve\"}}]}\r\n\r\n"
            + "data: [DONE]\n\n").utf8)
        // Cut the stream inside every multi-byte character.
        var pieces: [[UInt8]] = []
        var current: [UInt8] = []
        for byte in stream {
            current.append(byte)
            if byte >= 0xC0 || (byte & 0xC0) == 0x80 && current.count > 1 { pieces.append(current); current = [] }
        }
        pieces.append(current)
        try await Self.server(pieces: pieces).test(.live) { client in
            let model = OpenAIModel(settings: .init(baseURL: "http://127.0.0.1:\(client.port!)/v1", apiKey: nil, model: "m"))
            let text = try await Self.collect(model)
            #expect(text == "Grüße 🌍 naïve")
        }
    }

    @Test("a provider that stalls mid-stream ends the turn within the timeout") func stall() async throws {
        let pieces = [Array(Self.chunk("Hello ").utf8), Array(Self.chunk("world").utf8), Array("data: [DONE]\n\n".utf8)]
        try await Self.server(pieces: pieces, stallAfter: 1, stall: .seconds(30)).test(.live) { client in
            var settings = OpenAIModel.Settings(baseURL: "http://127.0.0.1:\(client.port!)/v1", apiKey: nil, model: "m")
            // The first piece must arrive within this (a loaded CI box can take a second or more),
            // and the same silence after it ends the turn.
            settings.firstTokenTimeout = .seconds(3)
            settings.retries = 0
            let model = OpenAIModel(settings: settings)
            let start = ContinuousClock.now
            var text = ""
            var failure: Error?
            do {
                for try await event in model.respond(to: [ChatTurn(role: .user, content: "hi")], tools: [], context: ModelContext(now: Date(), timeZone: .gmt)) {
                    if case .textDelta(let piece) = event { text += piece }
                }
            } catch { failure = error }
            let elapsed = ContinuousClock.now - start
            #expect(text == "Hello ")
            #expect((failure as? ProviderError)?.description == ProviderError.stalled.description)
            // The provider would stay silent for 30 s; the 3 s watchdog must end the turn long
            // before that, with room for a loaded two-core CI box running other suites.
            #expect(elapsed < .seconds(20), "\(elapsed)")
        }
    }
}
