import Assistant
import Logging
import MCP
import StoaCore

/// Builds an MCP `Server` that offers one user's ``UserToolbox`` as MCP tools. Both transports
/// use it: `POST /mcp` (one server per MCP session) and `stoa mcp` (stdio, one per process).
///
/// The tool list is exactly `toolbox.tools`; calls go through `toolbox.run`. A result of
/// the shape `{"error": "…"}` becomes a tool error (`isError: true`), as do unknown tools and
/// bad arguments — never a protocol error, so the calling model can read it and recover.
public enum MCPToolServer {
    /// The name the server gives in `initialize`.
    public static let serverName = "stoa"
    /// The version the server gives in `initialize`.
    public static let serverVersion = "1.0.0"
    static let instructions = "Stoa's tools act on the signed-in user's own task list (and, when configured, search the "
        + "shared document collection). Task ids come from list_tasks or add_task."

    /// A server with `tools/list` and `tools/call` over `toolbox`; start it on a transport.
    /// The toolbox already carries the verified user id, so nothing a client sends can change
    /// whose data the tools touch.
    public static func make(toolbox: UserToolbox, logger: Logger) async -> Server {
        let server = Server(name: serverName, version: serverVersion, title: "Stoa", instructions: instructions,
                            capabilities: .init(tools: .init(listChanged: false)))
        let tools = toolbox.tools.map(tool(for:))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { params in
            await call(params.name, arguments: params.arguments, toolbox: toolbox, logger: logger)
        }
        return server
    }

    /// The MCP description of a tool definition: its JSON Schema becomes the input schema.
    public static func tool(for definition: AssistantTool) -> Tool {
        Tool(name: definition.name, description: definition.description, inputSchema: Value(definition.parameters))
    }

    /// Runs one `tools/call`. Database failures become a generic tool error (logged, not echoed).
    static func call(_ name: String, arguments: [String: Value]?, toolbox: UserToolbox, logger: Logger) async -> CallTool.Result {
        guard toolbox.offers(name) else {
            return toolError("There is no tool called \(name.prefix(100)). Call tools/list for the available tools.")
        }
        let input = JSONValue.object((arguments ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })
        let result: JSONValue
        do {
            result = try await toolbox.run(name, arguments: input)
        } catch {
            logger.error("MCP tool call failed", metadata: ["tool": "\(name)", "error": "\(String(reflecting: type(of: error)))"])
            return toolError("The tool could not run because the server failed. Try again later.")
        }
        if let message = AssistantTool.errorMessage(of: result) {
            return toolError(message)
        }
        let structured: Value? = Value(result)
        return CallTool.Result(content: [.text(text: MCPResultText.summary(of: result), annotations: nil, _meta: nil)], structuredContent: structured, isError: false)
    }

    static func toolError(_ message: String) -> CallTool.Result {
        let structured: Value? = .object(["error": .string(message)])
        return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], structuredContent: structured, isError: true)
    }
}

extension Value {
    /// The SDK's JSON value for a Stoa JSON value. Whole numbers become integers, so a JSON
    /// Schema `minimum: 1` stays `1` rather than `1.0`.
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 9e15 { self = .int(Int(n)) } else { self = .double(n) }
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(Value.init))
        case .object(let pairs): self = .object(Dictionary(pairs.map { ($0.0, Value($0.1)) }, uniquingKeysWith: { _, last in last }))
        }
    }
}

extension JSONValue {
    /// A Stoa JSON value for the SDK's. The SDK decodes `data:` URL strings as `.data`; they
    /// are turned back into the string the client sent.
    init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .data: self = .string(value.description)
        case .array(let items): self = .array(items.map(JSONValue.init))
        case .object(let dict): self = .object(dict.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })
        }
    }
}
