import Foundation
import StoaCore

extension BuiltinModel {
    static let selectionPrefix = "About this selected text:"

    /// Anything that is not a task command is a question for the documents: search them, then
    /// answer with the best passages, numbered like the citations the client shows.
    func answerFromDocuments(_ userText: String, records: [ToolRecord]) -> [ModelEvent] {
        let (selection, question) = Self.splitSelection(userText)
        guard let search = records.last(where: { $0.name == AssistantTool.searchDocuments.name }) else {
            // The question's words first: they decide the search; the selection adds context.
            let query = String((question + (selection.map { " " + $0 } ?? "")).prefix(500))
            return [call(AssistantTool.searchDocuments.name, [("query", .string(query)), ("limit", .number(3))])]
        }
        var lines: [String] = []
        if let selection {
            let short = selection.count > 240 ? String(selection.prefix(240)) + "…" : selection
            lines.append("You selected: “\(short.replacingOccurrences(of: "\n", with: " "))”")
            lines.append("")
        }
        guard case .array(let results)? = search.result["results"], !results.isEmpty else {
            lines.append("I couldn't find anything about that in the documents. I'm the built-in assistant: besides searching "
                + "the documents I can keep your task list (try \"add a task to buy milk\" or \"what's on my list\").")
            return say(lines.joined(separator: "\n"))
        }
        lines.append(results.count == 1 ? "Here is what the documents say:" : "Here is what the documents say, best match first:")
        lines.append("")
        for (index, hit) in results.enumerated() {
            let title = hit["title"]?.stringValue ?? "Untitled"
            let section = hit["section"]?.stringValue ?? ""
            let place = section.isEmpty || section == title ? title : section.hasPrefix(title) ? section : "\(title) › \(section)"
            let snippet = (hit["snippet"]?.stringValue ?? "").replacingOccurrences(of: "\n", with: " ")
            lines.append("\(index + 1). **\(place)**: \(snippet) [\(index + 1)]")
        }
        return say(lines.joined(separator: "\n"))
    }

    /// `/api/ask-selection` messages: the selected text and the question after it.
    static func splitSelection(_ text: String) -> (selection: String?, question: String) {
        guard text.hasPrefix(selectionPrefix) else { return (nil, text) }
        var quoted: [String] = []
        var rest: [String] = []
        for line in text.dropFirst(selectionPrefix.count).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("> ") || line == ">" { quoted.append(String(line.dropFirst(line == ">" ? 1 : 2))) } else { rest.append(String(line)) }
        }
        let question = rest.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return (quoted.joined(separator: "\n"), question.isEmpty ? text : question)
    }
}
