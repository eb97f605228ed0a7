import Foundation
import Knowledge
import StoaCore

/// Every tool one signed-in user may run — the task tools and, when documents are available,
/// `search_documents` — with their definitions. The assistant and the MCP server both run
/// tools through this one type, so the two can never drift apart.
public struct UserToolbox: Sendable {
    let tasks: TaskTools
    let documents: DocumentTools?

    /// The definitions of the tools this toolbox runs, in the order models see them.
    public var definitions: [ToolDefinition] {
        documents == nil ? ToolDefinition.taskTools : ToolDefinition.taskTools + [ToolDefinition.searchDocuments]
    }

    public init(tasks: TaskTools, documents: DocumentTools? = nil) {
        self.tasks = tasks
        self.documents = documents
    }

    /// Runs a tool by name. Bad arguments, unknown tasks and unknown tools come back as
    /// `{"error": "…"}` results; thrown errors mean the database or search failed.
    public func run(_ name: String, arguments: JSONValue) async throws -> JSONValue {
        if name == ToolDefinition.searchDocuments.name, let documents {
            return try await documents.run(arguments)
        }
        return try await tasks.run(name, arguments: arguments)
    }

    /// The error message of a tool result, if the tool refused (`{"error": "…"}`).
    public static func errorMessage(of result: JSONValue) -> String? {
        result["error"]?.stringValue
    }
}
