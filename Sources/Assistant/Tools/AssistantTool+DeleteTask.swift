import StoaCore

extension AssistantTool {
    /// `delete_task` (api.md): removes a task for good.
    public static let deleteTask = AssistantTool(
        name: "delete_task",
        description: "Delete one of the user's tasks for good.",
        parameters: schema([("task_id", string("The id of the task."))], required: ["task_id"])
    ) { arguments, scope in
        let id = try arguments.taskID()
        guard let task = try await scope.tasks.get(userID: scope.userID, id: id),
              try await scope.tasks.delete(userID: scope.userID, id: id) else {
            return error("No task with that id in your list.")
        }
        return .object([("deleted", .object([("id", .string(task.id)), ("title", .string(task.title))]))])
    }
}
