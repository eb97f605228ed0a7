import StoaCore

/// The tools one signed-in user may run, bound to that user's ``ToolScope``: every tool of
/// ``AssistantTool/all`` whose needs the scope meets (`search_documents` only with documents).
/// The assistant and the MCP server both list and run tools through this one type, so the two
/// can never drift apart.
public struct UserToolbox: Sendable {
    let scope: ToolScope
    /// The tools offered, in the order models see them.
    public let tools: [AssistantTool]

    public init(scope: ToolScope, tools: [AssistantTool] = AssistantTool.all) {
        self.scope = scope
        self.tools = tools.filter { !$0.needsDocuments || scope.documents != nil }
    }

    /// Whether this toolbox offers a tool called `name`.
    public func offers(_ name: String) -> Bool { tools.contains { $0.name == name } }

    /// Runs a tool by name. Bad arguments, unknown tasks and unknown tools come back as
    /// `{"error": "…"}` results; thrown errors mean the database or search failed.
    public func run(_ name: String, arguments: JSONValue) async throws -> JSONValue {
        guard let tool = tools.first(where: { $0.name == name }) else {
            return AssistantTool.error("There is no tool called \(name.prefix(100)).")
        }
        do {
            return try await tool.handler(ToolArguments(json: arguments), scope)
        } catch let error as ToolArgumentError {
            return AssistantTool.error(error.message)
        }
    }
}
