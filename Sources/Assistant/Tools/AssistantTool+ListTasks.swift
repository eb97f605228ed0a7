import StoaCore
import Tasks

extension AssistantTool {
    /// `list_tasks` (api.md): up to 50 tasks, numbered so the user can say "task 2".
    public static let listTasks = AssistantTool(
        name: "list_tasks",
        description: "List the user's tasks, newest first. Results are numbered so the user can refer to \"task 2\".",
        parameters: schema([
            ("status", .object([("type", .string("string")), ("enum", .array([.string("open"), .string("done"), .string("all")])),
                               ("description", .string("Which tasks: open (default), done or all."))])),
            ("q", string("Optional words that must appear in the title or description.")),
            ("due_after", string("Optional ISO-8601 date-time: only tasks due at or after it.")),
            ("due_before", string("Optional ISO-8601 date-time: only tasks due before it (with due_after: a window; alone: e.g. overdue).")),
            ("no_due_date", .object([("type", .string("boolean")),
                                    ("description", .string("Optional: true lists only tasks without a due date (due_after/due_before must then be absent)."))])),
        ], required: [])
    ) { arguments, scope in
        let statusText = try arguments.string("status", max: 10) ?? "open"
        guard let status = TaskStatusFilter(rawValue: statusText) else { throw ToolArgumentError(message: "status must be open, done or all.") }
        let q = try arguments.string("q", max: 200)
        let from = try arguments.date("due_after") ?? nil
        let before = try arguments.date("due_before") ?? nil
        let undated = try arguments.bool("no_due_date") ?? false
        if undated && (from != nil || before != nil) { throw ToolArgumentError(message: "no_due_date cannot be combined with due_after or due_before.") }
        let window = undated ? DueWindow.undated : from == nil && before == nil ? nil : DueWindow(from: from, before: before)
        let page = try await scope.tasks.list(userID: scope.userID, status: status, query: q, due: window, page: PageRequest(limit: 50))
        let items: [JSONValue] = page.items.enumerated().map { index, task in
            guard case .object(var pairs) = task.json else { return task.json }
            pairs.insert(("number", .number(Double(index + 1))), at: 0)
            return .object(pairs)
        }
        return .object([("status", .string(status.rawValue)), ("tasks", .array(items)), ("more", .bool(page.nextCursor != nil))])
    }
}
