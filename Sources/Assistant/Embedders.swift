import AsyncHTTPClient
import Foundation
import Knowledge
import NIOCore
import StoaCore

/// OpenAI's `POST /embeddings` (also served by llama.cpp, vLLM and Ollama): `{model, input: [..]}`
/// → `{data: [{index, embedding}]}`.
public struct OpenAIEmbedder: Embedder {
    public let baseURL: String
    public let apiKey: String?
    public let model: String
    let client: HTTPClient
    public var name: String { "openai:\(model)" }

    public init(baseURL: String, apiKey: String?, model: String, client: HTTPClient = ProviderHTTP.client) {
        self.baseURL = baseURL; self.apiKey = apiKey; self.model = model; self.client = client
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let body = JSONValue.object([("model", .string(model)), ("input", .array(texts.map { .string($0) }))])
        let response = try await ProviderHTTP.send(client: client, url: baseURL.trimmingSuffix("/") + "/embeddings",
                                                   headers: apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [],
                                                   body: body, retries: 2, timeout: .seconds(30))
        let json = try await ProviderHTTP.json(response)
        guard case .array(let data)? = json["data"] else { throw ProviderError.upstream(status: 200, message: "no data in the embeddings answer") }
        var vectors = [[Float]](repeating: [], count: texts.count)
        for (position, item) in data.enumerated() {
            let index = item["index"].flatMap { if case .number(let n) = $0 { return Int(n) } else { return nil } } ?? position
            guard index >= 0, index < texts.count, let vector = Self.floats(item["embedding"]) else {
                throw ProviderError.upstream(status: 200, message: "malformed embedding in the answer")
            }
            vectors[index] = vector
        }
        guard vectors.allSatisfy({ !$0.isEmpty }) else { throw ProviderError.upstream(status: 200, message: "missing embeddings in the answer") }
        return vectors
    }

    static func floats(_ value: JSONValue?) -> [Float]? {
        guard case .array(let items)? = value, !items.isEmpty else { return nil }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items { guard case .number(let n) = item else { return nil }; out.append(Float(n)) }
        return out
    }
}

/// Gemini's `POST /models/{model}:batchEmbedContents`: `{requests: [{model, content: {parts: [{text}]}}]}`
/// → `{embeddings: [{values}]}`.
public struct GeminiEmbedder: Embedder {
    public let baseURL: String
    public let apiKey: String
    public let model: String
    let client: HTTPClient
    public var name: String { "gemini:\(model)" }

    public init(baseURL: String = "https://generativelanguage.googleapis.com/v1beta", apiKey: String, model: String, client: HTTPClient = ProviderHTTP.client) {
        self.baseURL = baseURL; self.apiKey = apiKey; self.model = model; self.client = client
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let requests = texts.map { text in
            JSONValue.object([("model", .string("models/\(model)")), ("content", .object([("parts", .array([.object([("text", .string(text))])]))]))])
        }
        let response = try await ProviderHTTP.send(client: client, url: baseURL.trimmingSuffix("/") + "/models/\(model):batchEmbedContents",
                                                   headers: [("x-goog-api-key", apiKey)], body: .object([("requests", .array(requests))]),
                                                   retries: 2, timeout: .seconds(30))
        let json = try await ProviderHTTP.json(response)
        guard case .array(let embeddings)? = json["embeddings"], embeddings.count == texts.count else {
            throw ProviderError.upstream(status: 200, message: "the embeddings answer does not have one vector per text")
        }
        return try embeddings.map { item in
            guard let vector = OpenAIEmbedder.floats(item["values"]) else { throw ProviderError.upstream(status: 200, message: "malformed embedding in the answer") }
            return vector
        }
    }
}

extension ProviderHTTP {
    /// A whole JSON answer (at most 64 MiB).
    static func json(_ response: HTTPClientResponse) async throws -> JSONValue {
        let buffer = try await response.body.collect(upTo: 64 << 20)
        guard let json = JSONValue.parse(Data(buffer.readableBytesView)) else { throw ProviderError.upstream(status: 200, message: "the answer is not JSON") }
        return json
    }
}
