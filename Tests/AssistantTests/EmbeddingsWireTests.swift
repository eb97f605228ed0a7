import Assistant
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoaCore
import Synchronization
import Testing

/// The embeddings clients against local servers speaking OpenAI's `POST /embeddings` and
/// Gemini's `batchEmbedContents` as their API references describe, including error bodies.
@Suite struct EmbeddingsWireTests {
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Test("OpenAI: model and input sent, vectors placed by index, 401 error message surfaced") func openAI() async throws {
        let seen = Mutex<[JSONValue]>([])
        let router = Router()
        router.post("v1/embeddings") { request, _ -> Response in
            let body = JSONValue.parse(Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)) ?? .null
            seen.withLock { $0.append(body) }
            if request.headers[.authorization] != "Bearer sk-test" {
                return Self.json(#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#, status: .unauthorized)
            }
            // Out of order on purpose: clients must use `index`.
            return Self.json(#"{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-1]},{"object":"embedding","index":0,"embedding":[1,0.25]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":4,"total_tokens":4}}"#)
        }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)/v1"
            let vectors = try await OpenAIEmbedder(baseURL: base, apiKey: "sk-test", model: "text-embedding-3-small").embed(["first", "second"])
            #expect(vectors == [[1, 0.25], [0.5, -1]])
            let body = seen.withLock { $0.first }
            #expect(body?["model"] == .string("text-embedding-3-small"))
            #expect(body?["input"] == .array([.string("first"), .string("second")]))
            do {
                _ = try await OpenAIEmbedder(baseURL: base, apiKey: "wrong", model: "m").embed(["x"])
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect("\(error)".contains("Incorrect API key provided"))
            }
        }
    }

    @Test("Gemini: one request per text with models/NAME, key header, values parsed, count checked") func gemini() async throws {
        let seen = Mutex<[JSONValue]>([])
        let router = Router()
        router.post("v1beta/models/{call}") { request, context -> Response in
            #expect(context.parameters.get("call") == "text-embedding-004:batchEmbedContents")
            #expect(request.headers[HTTPField.Name("x-goog-api-key")!] == "g-key")
            let body = JSONValue.parse(Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)) ?? .null
            seen.withLock { $0.append(body) }
            guard case .array(let requests)? = body["requests"] else { return Self.json(#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}"#, status: .badRequest) }
            let values = requests.indices.map { #"{"values":[\#($0),1,2]}"# }.joined(separator: ",")
            return Self.json(#"{"embeddings":[\#(values)]}"#)
        }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            let embedder = GeminiEmbedder(baseURL: "http://127.0.0.1:\(client.port!)/v1beta", apiKey: "g-key", model: "text-embedding-004")
            let vectors = try await embedder.embed(["a", "b", "c"])
            #expect(vectors == [[0, 1, 2], [1, 1, 2], [2, 1, 2]])
            let request = seen.withLock { $0.first }
            guard case .array(let requests)? = request?["requests"] else { Issue.record("no requests"); return }
            #expect(requests.count == 3)
            #expect(requests.first?["model"] == .string("models/text-embedding-004"))
            #expect(requests.first?["content"]?["parts"] == .array([.object([("text", .string("a"))])]))
        }
    }
}
