import Foundation
import Knowledge
import StoaCore
import Tasks

/// A tool a model may call: its name, what it does, the JSON Schema of its arguments and the
/// code that runs it. Remote models (OpenAI, Gemini), the built-in assistant and the MCP server
/// all read ``AssistantTool/all``; to add a tool, write one `AssistantTool+Name.swift` file and
/// list it there.
public struct AssistantTool: Sendable {
    /// What the model calls it (`add_task`).
    public let name: String
    /// When to use it, written for a model.
    public let description: String
    /// The JSON Schema of its arguments (an object schema).
    public let parameters: JSONValue
    /// Whether it needs the shared document collection (offered only when one is available).
    public let needsDocuments: Bool
    /// Runs the tool for the user of `scope`. Bad arguments throw ``ToolArgumentError`` (the
    /// toolbox turns it into an `{"error": "…"}` result); other errors mean a store failed.
    let handler: @Sendable (_ arguments: ToolArguments, _ scope: ToolScope) async throws -> JSONValue

    init(name: String, description: String, parameters: JSONValue, needsDocuments: Bool = false,
         handler: @escaping @Sendable (ToolArguments, ToolScope) async throws -> JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.needsDocuments = needsDocuments
        self.handler = handler
    }
}

/// What a tool may touch: one verified user's tasks and the shared documents. The user id is
/// fixed here from the verified identity; no tool argument can name another user.
public struct ToolScope: Sendable {
    public let userID: String
    let tasks: any TaskStore
    let clock: any StoaClock
    let documents: (any DocumentSearching)?

    public init(userID: String, tasks: any TaskStore, clock: any StoaClock, documents: (any DocumentSearching)? = nil) {
        self.userID = userID
        self.tasks = tasks
        self.clock = clock
        self.documents = documents
    }
}

/// A tool's arguments were wrong; the message is written for the model to read and recover.
struct ToolArgumentError: Error {
    let message: String
}

/// Typed reads of a tool's JSON arguments, each failing with a ``ToolArgumentError`` that
/// names the argument.
struct ToolArguments: Sendable {
    let json: JSONValue

    subscript(key: String) -> JSONValue? { json[key] }

    /// A trimmed string; nil when absent or null.
    func string(_ key: String, required: Bool = false, max: Int = 500) throws(ToolArgumentError) -> String? {
        switch json[key] {
        case nil, .null?:
            if required { throw ToolArgumentError(message: "\(key) is required.") }
            return nil
        case .string(let s)?:
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if required && trimmed.isEmpty { throw ToolArgumentError(message: "\(key) must not be empty.") }
            if trimmed.count > max { throw ToolArgumentError(message: "\(key) must be at most \(max) characters.") }
            return trimmed
        default: throw ToolArgumentError(message: "\(key) must be a string.")
        }
    }

    /// An ISO-8601 date or date-time: `nil` when absent, `.some(nil)` when null (clear it).
    func date(_ key: String) throws(ToolArgumentError) -> Date?? {
        switch json[key] {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let s)?:
            if let d = ISO8601.date(from: s) ?? (s.count == 10 ? ISO8601.date(from: s + "T00:00:00Z") : nil) { return .some(d) }
            throw ToolArgumentError(message: "\(key) must be an ISO-8601 date such as 2026-12-01T09:00:00Z.")
        default: throw ToolArgumentError(message: "\(key) must be a string.")
        }
    }

    /// A boolean; nil when absent or null.
    func bool(_ key: String) throws(ToolArgumentError) -> Bool? {
        switch json[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw ToolArgumentError(message: "\(key) must be true or false.")
        }
    }

    /// `task_id`: the id of a task (whose it is, the store decides).
    func taskID() throws(ToolArgumentError) -> String {
        guard let id = try string("task_id", required: true, max: 64), UUIDv7.isValid(id) else {
            throw ToolArgumentError(message: "task_id must be the id of one of your tasks (use list_tasks to find it).")
        }
        return id.lowercased()
    }
}

extension AssistantTool {
    /// An `{"error": "…"}` result: the model reads it and can recover.
    static func error(_ message: String) -> JSONValue { .object([("error", .string(message))]) }

    /// The error message of a tool result, if the tool refused (`{"error": "…"}`).
    public static func errorMessage(of result: JSONValue) -> String? { result["error"]?.stringValue }

    // Schema pieces.
    static func schema(_ properties: [(String, JSONValue)], required: [String]) -> JSONValue {
        .object([("type", .string("object")), ("properties", .object(properties)),
                 ("required", .array(required.map { .string($0) })), ("additionalProperties", .bool(false))])
    }
    static func string(_ description: String) -> JSONValue { .object([("type", .string("string")), ("description", .string(description))]) }
    static func nullableString(_ description: String) -> JSONValue {
        .object([("type", .array([.string("string"), .string("null")])), ("description", .string(description))])
    }
    static let taskIDParameter = string("The id of the task (from list_tasks or add_task).")
}
