import AsyncHTTPClient
import Foundation
import NIOCore
import StoaCore

/// Google Gemini through its native API: `streamGenerateContent?alt=sse` with
/// `functionDeclarations`; function calls arrive as whole `functionCall` parts.
public struct GeminiModel: ChatModel {
    public struct Settings: Sendable {
        public var apiKey: String
        public var model: String
        public var baseURL: String = "https://generativelanguage.googleapis.com/v1beta"
        public var firstTokenTimeout: TimeAmount = .seconds(30)
        public var retries: Int = 2
        public init(apiKey: String, model: String) { self.apiKey = apiKey; self.model = model }
    }

    public let settings: Settings
    let client: HTTPClient
    public var name: String { "gemini:\(settings.model)" }

    public init(settings: Settings, client: HTTPClient = ProviderHTTP.client) {
        self.settings = settings
        self.client = client
    }

    public func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
        modelEventStream { continuation in
            let url = settings.baseURL.trimmingSuffix("/") + "/models/\(settings.model):streamGenerateContent?alt=sse"
            let response = try await ProviderHTTP.send(client: client, url: url, headers: [("x-goog-api-key", settings.apiKey)],
                                                       body: requestBody(conversation, tools: tools), retries: settings.retries,
                                                       timeout: settings.firstTokenTimeout)
            var callIndex = 0
            for try await line in ProviderHTTP.sseData(response.body, silence: settings.firstTokenTimeout) {
                guard let chunk = JSONValue.parse(Data(line.utf8)) else { continue }
                if let error = chunk["error"] {
                    throw ProviderError.upstream(status: 200, message: error["message"]?.stringValue ?? "error")
                }
                guard case .array(let candidates)? = chunk["candidates"], case .array(let parts)? = candidates.first?["content"]?["parts"] else { continue }
                for part in parts {
                    if let text = part["text"]?.stringValue, !text.isEmpty { continuation.yield(.textDelta(text)) }
                    if let call = part["functionCall"], let name = call["name"]?.stringValue {
                        callIndex += 1
                        continuation.yield(.toolCall(ToolCall(id: call["id"]?.stringValue ?? "gemini_\(callIndex)_\(name)",
                                                              name: name, arguments: call["args"] ?? .object([]))))
                    }
                }
            }
        }
    }

    func requestBody(_ conversation: [ChatTurn], tools: [AssistantTool]) -> JSONValue {
        var system: [String] = []
        var contents: [JSONValue] = []
        func add(_ role: String, _ parts: [JSONValue]) {
            contents.append(.object([("role", .string(role)), ("parts", .array(parts))]))
        }
        func callPart(_ record: ToolRecord) -> JSONValue {
            .object([("functionCall", .object([("name", .string(record.name)), ("args", record.arguments)]))])
        }
        func responsePart(name: String, result: JSONValue) -> JSONValue {
            .object([("functionResponse", .object([("name", .string(name)), ("response", result.isObject ? result : .object([("result", result)]))]))])
        }
        var callNames: [String: String] = [:]
        for (index, turn) in conversation.enumerated() {
            switch turn.role {
            case .system: system.append(turn.content)
            case .user: add("user", [.object([("text", .string(turn.content))])])
            case .tool:
                let result = JSONValue.parse(Data(turn.content.utf8)) ?? .string(turn.content)
                add("user", [responsePart(name: callNames[turn.toolCallID ?? ""] ?? "tool", result: result)])
            case .assistant:
                guard !turn.toolRecords.isEmpty else {
                    add("model", [.object([("text", .string(turn.content))])])
                    continue
                }
                for record in turn.toolRecords { callNames[record.id] = record.name }
                var parts: [JSONValue] = turn.content.isEmpty ? [] : [.object([("text", .string(turn.content))])]
                let followedByResults = index + 1 < conversation.count && conversation[index + 1].role == .tool
                if followedByResults {
                    add("model", parts + turn.toolRecords.map(callPart))
                } else {
                    // A saved message: calls, their results, then the final text.
                    add("model", turn.toolRecords.map(callPart))
                    add("user", turn.toolRecords.map { responsePart(name: $0.name, result: $0.result) })
                    if !parts.isEmpty { add("model", parts); parts = [] }
                }
            }
        }
        var body: [(String, JSONValue)] = [("contents", .array(contents))]
        if !system.isEmpty {
            body.insert(("systemInstruction", .object([("parts", .array([.object([("text", .string(system.joined(separator: "\n\n")))])]))])), at: 0)
        }
        if !tools.isEmpty {
            let declarations: [JSONValue] = tools.map {
                .object([("name", .string($0.name)), ("description", .string($0.description)), ("parameters", Self.geminiSchema($0.parameters))])
            }
            body.append(("tools", .array([.object([("functionDeclarations", .array(declarations))])])))
        }
        return .object(body)
    }

    /// Gemini takes an OpenAPI subset: no `additionalProperties`, and `nullable: true`
    /// instead of `["string", "null"]` type lists.
    public static func geminiSchema(_ schema: JSONValue) -> JSONValue {
        switch schema {
        case .object(let pairs):
            var out: [(String, JSONValue)] = []
            for (key, value) in pairs where key != "additionalProperties" {
                if key == "type", case .array(let types) = value {
                    let concrete = types.first { $0 != .string("null") } ?? .string("string")
                    out.append(("type", concrete))
                    if types.contains(.string("null")) { out.append(("nullable", .bool(true))) }
                } else {
                    out.append((key, geminiSchema(value)))
                }
            }
            return .object(out)
        case .array(let items): return .array(items.map(geminiSchema))
        default: return schema
        }
    }
}
