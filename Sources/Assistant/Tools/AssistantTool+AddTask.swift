import StoaCore

extension AssistantTool {
    /// `add_task` (api.md): a new open task.
    public static let addTask = AssistantTool(
        name: "add_task",
        description: "Add a task to the user's task list. Use when the user asks to remember, add or create a to-do.",
        parameters: schema([
            ("title", string("Short title of the task, e.g. \"Buy milk\".")),
            ("description", string("Optional longer details.")),
            ("due_at", string("Optional due date-time in ISO-8601, e.g. 2026-12-01T09:00:00Z.")),
        ], required: ["title"])
    ) { arguments, scope in
        let title = try arguments.string("title", required: true) ?? ""
        let description = try arguments.string("description", max: 10_000)
        let due = try arguments.date("due_at") ?? nil
        let task = try await scope.tasks.create(userID: scope.userID, title: title, description: description?.isEmpty == true ? nil : description,
                                                dueAt: due, at: scope.clock.now())
        return .object([("task", task.json)])
    }
}
