extension AssistantTool {
    /// Every tool, in the order models see them. Adding a tool: one file and one line here.
    public static let all: [AssistantTool] = [addTask, listTasks, completeTask, updateTask, deleteTask, searchDocuments]

    /// The tool called `name`, if there is one.
    public static func named(_ name: String) -> AssistantTool? { all.first { $0.name == name } }
}
