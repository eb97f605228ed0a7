import StoaCore

/// A tool a model may call: name, description and JSON Schema for its arguments. The same
/// definitions serve the assistant and the MCP server.
public struct ToolDefinition: Sendable {
    public let name: String
    public let description: String
    public let parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name; self.description = description; self.parameters = parameters
    }
}

extension ToolDefinition {
    static func schema(_ properties: [(String, JSONValue)], required: [String]) -> JSONValue {
        .object([("type", .string("object")), ("properties", .object(properties)),
                 ("required", .array(required.map { .string($0) })), ("additionalProperties", .bool(false))])
    }
    static func string(_ description: String) -> JSONValue { .object([("type", .string("string")), ("description", .string(description))]) }
    static func nullableString(_ description: String) -> JSONValue {
        .object([("type", .array([.string("string"), .string("null")])), ("description", .string(description))])
    }

    /// The task tools of api.md.
    public static let taskTools: [ToolDefinition] = [
        ToolDefinition(
            name: "add_task",
            description: "Add a task to the user's task list. Use when the user asks to remember, add or create a to-do.",
            parameters: schema([
                ("title", string("Short title of the task, e.g. \"Buy milk\".")),
                ("description", string("Optional longer details.")),
                ("due_at", string("Optional due date-time in ISO-8601, e.g. 2026-12-01T09:00:00Z.")),
            ], required: ["title"])),
        ToolDefinition(
            name: "list_tasks",
            description: "List the user's tasks, newest first. Results are numbered so the user can refer to \"task 2\".",
            parameters: schema([
                ("status", .object([("type", .string("string")), ("enum", .array([.string("open"), .string("done"), .string("all")])),
                                   ("description", .string("Which tasks: open (default), done or all."))])),
                ("q", string("Optional words that must appear in the title or description.")),
            ], required: [])),
        ToolDefinition(
            name: "complete_task",
            description: "Mark one of the user's tasks as done.",
            parameters: schema([("task_id", string("The id of the task (from list_tasks or add_task)."))], required: ["task_id"])),
        ToolDefinition(
            name: "update_task",
            description: "Change a task: rename it, change its description or due date, or mark it done or not done.",
            parameters: schema([
                ("task_id", string("The id of the task.")),
                ("title", string("New title.")),
                ("description", nullableString("New description, or null to clear it.")),
                ("due_at", nullableString("New due date-time in ISO-8601, or null to clear it.")),
                ("completed", .object([("type", .string("boolean")), ("description", .string("true = done, false = open."))])),
            ], required: ["task_id"])),
        ToolDefinition(
            name: "delete_task",
            description: "Delete one of the user's tasks for good.",
            parameters: schema([("task_id", string("The id of the task."))], required: ["task_id"])),
    ]
}
