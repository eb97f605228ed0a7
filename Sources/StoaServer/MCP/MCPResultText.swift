import StoaCore

/// The short human-readable text that goes with a tool result's structured content, for MCP
/// clients that show or feed only text. It is read from the result's shape (a task, a list of
/// tasks, a deletion, search results), so a new tool still gets its JSON as text.
enum MCPResultText {
    static func summary(of result: JSONValue) -> String {
        if let task = result["task"], task.isObject {
            return "Task \(line(task))."
        }
        if case .array(let tasks)? = result["tasks"] {
            let status = result["status"]?.stringValue ?? "open"
            guard !tasks.isEmpty else { return status == "all" ? "No tasks." : "No \(status) tasks." }
            let more = result["more"]?.boolValue == true ? "\n(more tasks not shown)" : ""
            let lines = tasks.enumerated().map { index, task in "\(index + 1). \(line(task))" }
            return "\(tasks.count) \(status == "all" ? "" : status + " ")task\(tasks.count == 1 ? "" : "s"):\n"
                + lines.joined(separator: "\n") + more
        }
        if let deleted = result["deleted"], let title = deleted["title"]?.stringValue {
            return "Deleted task “\(title)” (id \(deleted["id"]?.stringValue ?? "?"))."
        }
        if case .array(let hits)? = result["results"] {
            guard !hits.isEmpty else { return "No passages found." }
            let lines = hits.enumerated().map { index, hit in
                "\(index + 1). \(hit["title"]?.stringValue ?? "Untitled"): \(hit["snippet"]?.stringValue ?? "")"
            }
            return "\(hits.count) passage\(hits.count == 1 ? "" : "s"):\n" + lines.joined(separator: "\n")
        }
        return result.serialized
    }

    /// `“Buy milk” (open, due 2026-12-01T09:00:00.000Z, id …)`.
    static func line(_ task: JSONValue) -> String {
        var details = [task["completed"]?.boolValue == true ? "done" : "open"]
        if let due = task["dueAt"]?.stringValue { details.append("due \(due)") }
        details.append("id \(task["id"]?.stringValue ?? "?")")
        return "“\(task["title"]?.stringValue ?? "")” (\(details.joined(separator: ", ")))"
    }
}
