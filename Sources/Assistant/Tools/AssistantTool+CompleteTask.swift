import StoaCore

extension AssistantTool {
    /// `complete_task` (api.md): marks one task done.
    public static let completeTask = AssistantTool(
        name: "complete_task",
        description: "Mark one of the user's tasks as done.",
        parameters: schema([("task_id", taskIDParameter)], required: ["task_id"])
    ) { arguments, scope in
        let id = try arguments.taskID()
        guard let task = try await scope.tasks.update(userID: scope.userID, id: id, title: nil, description: nil, completed: true,
                                                      dueAt: nil, at: scope.clock.now()) else {
            return error("No task with that id in your list.")
        }
        return .object([("task", task.json)])
    }
}
