import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StoaCore
import Synchronization

/// Any OpenAI-compatible Chat Completions server (OpenAI, llama.cpp, vLLM, Ollama): streamed
/// answers with `tools`; tool calls arrive in pieces across chunks and are reassembled here.
public struct OpenAIModel: ChatModel {
    public struct Settings: Sendable {
        public var baseURL: String
        public var apiKey: String?
        public var model: String
        public var connectTimeout: TimeAmount = .seconds(5)
        public var firstTokenTimeout: TimeAmount = .seconds(30)
        public var retries: Int = 2
        public init(baseURL: String, apiKey: String?, model: String) { self.baseURL = baseURL; self.apiKey = apiKey; self.model = model }
    }

    public let settings: Settings
    let client: HTTPClient
    public var name: String { "openai:\(settings.model)" }

    public init(settings: Settings, client: HTTPClient = ProviderHTTP.client) {
        self.settings = settings
        self.client = client
    }

    public func respond(to conversation: [ChatTurn], tools: [AssistantTool], context: ModelContext) -> AsyncThrowingStream<ModelEvent, Error> {
        modelEventStream { continuation in
            let response = try await ProviderHTTP.send(client: client, url: settings.baseURL.trimmingSuffix("/") + "/chat/completions",
                                                       headers: settings.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [],
                                                       body: requestBody(conversation, tools: tools), retries: settings.retries,
                                                       timeout: settings.firstTokenTimeout)
            var calls: [Int: (id: String, name: String, arguments: String)] = [:]
            for try await line in ProviderHTTP.sseData(response.body, silence: settings.firstTokenTimeout) {
                if line == "[DONE]" { break }
                guard let chunk = JSONValue.parse(Data(line.utf8)) else { continue }
                if let error = chunk["error"] { throw ProviderError.upstream(status: 200, message: error["message"]?.stringValue ?? "error") }
                guard case .array(let choices)? = chunk["choices"], let delta = choices.first?["delta"] else { continue }
                if let text = delta["content"]?.stringValue, !text.isEmpty { continuation.yield(.textDelta(text)) }
                if case .array(let pieces)? = delta["tool_calls"] {
                    for piece in pieces {
                        let index = piece["index"].flatMap { if case .number(let n) = $0 { return Int(n) } else { return nil } } ?? 0
                        var call = calls[index] ?? ("", "", "")
                        if let id = piece["id"]?.stringValue { call.id = id }
                        if let name = piece["function"]?["name"]?.stringValue { call.name += name }
                        if let arguments = piece["function"]?["arguments"]?.stringValue { call.arguments += arguments }
                        calls[index] = call
                    }
                }
            }
            for index in calls.keys.sorted() {
                guard let call = calls[index], !call.name.isEmpty else { continue }
                let arguments = call.arguments.isEmpty ? .object([]) : (JSONValue.parse(Data(call.arguments.utf8)) ?? .object([("_unparsable", .string(call.arguments))]))
                continuation.yield(.toolCall(ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: arguments)))
            }
        }
    }

    func requestBody(_ conversation: [ChatTurn], tools: [AssistantTool]) -> JSONValue {
        var messages: [JSONValue] = []
        for (index, turn) in conversation.enumerated() {
            switch turn.role {
            case .system, .user:
                messages.append(.object([("role", .string(turn.role.rawValue)), ("content", .string(turn.content))]))
            case .tool:
                messages.append(.object([("role", .string("tool")), ("tool_call_id", .string(turn.toolCallID ?? "")), ("content", .string(turn.content))]))
            case .assistant:
                guard !turn.toolRecords.isEmpty else {
                    messages.append(.object([("role", .string("assistant")), ("content", .string(turn.content))]))
                    continue
                }
                let calls: [JSONValue] = turn.toolRecords.map { record in
                    .object([("id", .string(record.id)), ("type", .string("function")),
                             ("function", .object([("name", .string(record.name)), ("arguments", .string(record.arguments.serialized))]))])
                }
                let followedByResults = index + 1 < conversation.count && conversation[index + 1].role == .tool
                messages.append(.object([("role", .string("assistant")), ("content", followedByResults && !turn.content.isEmpty ? .string(turn.content) : .null),
                                         ("tool_calls", .array(calls))]))
                if !followedByResults {
                    // A saved message holds calls, results and the final text together: replay them in order.
                    for record in turn.toolRecords {
                        messages.append(.object([("role", .string("tool")), ("tool_call_id", .string(record.id)), ("content", .string(record.result.serialized))]))
                    }
                    if !turn.content.isEmpty { messages.append(.object([("role", .string("assistant")), ("content", .string(turn.content))])) }
                }
            }
        }
        var body: [(String, JSONValue)] = [("model", .string(settings.model)), ("messages", .array(messages)), ("stream", .bool(true))]
        if !tools.isEmpty {
            body.append(("tools", .array(tools.map { tool in
                .object([("type", .string("function")), ("function", .object([("name", .string(tool.name)), ("description", .string(tool.description)),
                                                                               ("parameters", tool.parameters)]))])
            })))
        }
        return .object(body)
    }
}

/// Why a provider call failed.
public enum ProviderError: Error, CustomStringConvertible, Sendable {
    case upstream(status: Int, message: String)
    case timeout
    /// The stream went silent for longer than `STOA_ASSISTANT_TIMEOUT` after it had started.
    case stalled
    public var description: String {
        switch self {
        case .upstream(let status, let message): return "provider answered HTTP \(status): \(message.prefix(200))"
        case .timeout: return "provider timed out"
        case .stalled: return "provider stopped sending mid-answer"
        }
    }
    /// 5xx, 429 and timeouts are worth another try (or another provider).
    public var retryable: Bool {
        switch self {
        case .upstream(let status, _): return status == 429 || status >= 500
        case .timeout: return true
        case .stalled: return false
        }
    }
}

/// HTTP plumbing shared by the remote providers: POST with bounded retries and backoff, SSE parsing.
public enum ProviderHTTP {
    /// The HTTP client for model providers: a connection that cannot be made fails at once
    /// (no silent reconnect loop) so the next provider can answer; connecting may take 5 s.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    static func send(client: HTTPClient, url: String, headers: [(String, String)], body: JSONValue, retries: Int,
                     timeout: TimeAmount) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "text/event-stream")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: body.serialized))
            do {
                let response = try await client.execute(request, timeout: timeout)
                if response.status == .ok { return response }
                let text = String(buffer: try await response.body.collect(upTo: 64 * 1024))
                let message = JSONValue.parse(Data(text.utf8)).flatMap { $0["error"]?["message"]?.stringValue ?? $0["error"]?.stringValue } ?? text
                throw ProviderError.upstream(status: Int(response.status.code), message: message)
            } catch let error as ProviderError where error.retryable && attempt < retries {
                attempt += 1
                try await Task.sleep(for: .milliseconds(250 * (1 << attempt)))
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                if attempt >= retries { throw ProviderError.timeout }
                attempt += 1
            }
        }
    }

    /// The `data` of each server-sent event of a provider's stream (``SSEReader``: UTF-8 across
    /// reads, multi-line `data:`, comments, CRLF). When no event arrives for `silence`, the stream
    /// ends with ``ProviderError/stalled`` and the request is cancelled: a provider that stops
    /// mid-answer cannot hold a turn.
    static func sseData(_ body: HTTPClientResponse.Body, silence: TimeAmount) -> AsyncThrowingStream<String, Error> {
        AsyncThrowingStream { continuation in
            let lastEvent = LastEvent()
            let limit = Duration.nanoseconds(silence.nanoseconds)
            let reader = Task {
                do {
                    var sse = SSEReader()
                    for try await buffer in body {
                        let events = try sse.feed(buffer.readableBytesView)
                        if !events.isEmpty { lastEvent.time.withLock { $0 = .now } }
                        for event in events { continuation.yield(event.data) }
                    }
                    for event in sse.finish() { continuation.yield(event.data) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            let watchdog = Task {
                while !Task.isCancelled {
                    let quiet = ContinuousClock.now - lastEvent.time.withLock { $0 }
                    if quiet >= limit {
                        continuation.finish(throwing: ProviderError.stalled)
                        reader.cancel()
                        return
                    }
                    try? await Task.sleep(for: limit - quiet)
                }
            }
            continuation.onTermination = { _ in
                reader.cancel()
                watchdog.cancel()
            }
        }
    }
}

/// When a stream last delivered an event, shared by its reader and its watchdog.
final class LastEvent: Sendable {
    let time = Mutex(ContinuousClock.now)
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
