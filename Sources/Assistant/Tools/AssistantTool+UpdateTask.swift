import Foundation
import StoaCore

extension AssistantTool {
    /// `update_task` (api.md): any of title, description, due date and completion.
    public static let updateTask = AssistantTool(
        name: "update_task",
        description: "Change a task: rename it, change its description or due date, or mark it done or not done.",
        parameters: schema([
            ("task_id", string("The id of the task.")),
            ("title", string("New title.")),
            ("description", nullableString("New description, or null to clear it.")),
            ("due_at", nullableString("New due date-time in ISO-8601, or null to clear it.")),
            ("completed", .object([("type", .string("boolean")), ("description", .string("true = done, false = open."))])),
        ], required: ["task_id"])
    ) { arguments, scope in
        let id = try arguments.taskID()
        let title = try arguments.string("title")
        if title?.isEmpty == true { throw ToolArgumentError(message: "title must not be empty.") }
        var description: String?? = nil
        if case .null? = arguments["description"] {
            description = .some(nil)
        } else if let text = try arguments.string("description", max: 10_000) {
            description = .some(text)
        }
        let due = try arguments.date("due_at")
        var completed: Bool?
        switch arguments["completed"] {
        case nil: break
        case .bool(let b)?: completed = b
        default: throw ToolArgumentError(message: "completed must be true or false.")
        }
        guard let task = try await scope.tasks.update(userID: scope.userID, id: id, title: title, description: description,
                                                      completed: completed, dueAt: due, at: scope.clock.now()) else {
            return error("No task with that id in your list.")
        }
        return .object([("task", task.json)])
    }
}
