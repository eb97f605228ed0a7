import Foundation
import StoaCore

extension BuiltinModel {
    /// What one user message asks for.
    enum Intent: Equatable {
        case add(NewTask)
        case list(TaskFilter)
        case act(TaskAction, Target)
        /// "what's the note on it": a task's details, from what was shown.
        case details(Target)
        /// Take back the last change.
        case undo
        /// "never mind": change nothing.
        case dismiss
        /// A follow-up with no verb of its own ("and 4 too", "mom", "and buy eggs", "I meant in
        /// 4 days"): it borrows the previous request's.
        case fragment(Fragment)
        /// "buy milk: remember to get oat milk": a note for the task those words name, or else a new task.
        case noteOrAdd(words: [String], note: String, task: NewTask)
        /// "dentist: dr patel, 5th street office", "acme invoice wednesday": a change said after
        /// words that name a task, with no verb. It applies when the words name exactly one of
        /// the user's tasks, asks which when they name several, and otherwise the message is a
        /// question for the documents.
        case labelled(words: [String], change: TaskChange)
        /// Several requests in one message ("dentist's done, and push mom to next wed").
        case many([Intent])
        /// "add a task" with no title: ask for it; the next message is the title.
        case addWhat
        case greeting
        case thanks
        /// Chit-chat that asks for nothing ("lol you're fast", "ugh I need a break", "talk later").
        case smallTalk
        case help
        /// Not about tasks: a question for the documents.
        case unknown
    }

    struct NewTask: Equatable {
        var title: String
        var description: String?
        var due: Date?
    }

    /// Which tasks a list shows.
    struct TaskFilter: Equatable {
        var status: String = "open"
        var query: String?
        var dueFrom: Date?
        var dueBefore: Date?
        /// Only tasks without a due date.
        var undated = false
        /// `query` is a word picked from the message, not one the user marked as the subject
        /// ("about …", quotes): when it matches nothing, the list is shown without it.
        var queryGuessed = false
        /// How the reply names the due filter ("due this week", "overdue").
        var dueLabel: String?
        /// Whether the user named the status (a keyword search without one covers done tasks too).
        var statusSaid = false
        /// Only tasks with a note ("which tasks have notes?").
        var hasNote = false
        /// The other words that could be the keyword (`query` is the longest): when there are
        /// any, the tasks are looked up first and the word that finds the fewest (but some) is
        /// searched ("when is my dentist appointment?" → "dentist", "tax forms" → "tax").
        var alternatives: [String] = []
        /// The keyword candidates as typed, in order ("tax forms"): two of them side by side in a
        /// title are searched together.
        var said: [String] = []

        /// Of `query` and its alternatives, the word that matches the fewest of `tasks` but at
        /// least one (titles and notes, as the tool searches); `query` when none matches.
        func bestKeyword(in tasks: [JSONValue]) -> String? {
            guard let query else { return nil }
            var best: (word: String, count: Int)?
            for word in alternatives.isEmpty ? [query] : alternatives {
                // A word of a title or note must start with it ("end" is not a keyword of "Send the invoice").
                let needle = word.lowercased()
                let count = tasks.filter { task in
                    (TaskMatcher.words(task["title"]?.stringValue ?? "") + TaskMatcher.words(task["description"]?.stringValue ?? "")).contains { $0.hasPrefix(needle) }
                }.count
                guard count > 0 else { continue }
                if best == nil || count < best!.count { best = (word, count) }
            }
            // "car insurance", "dentist appointment", "tax forms": the two words as they stand in the title,
            // when together they find the same tasks as the best single word.
            if let best {
                for (a, b) in zip(said, said.dropFirst()) where !TaskMatcher.errandVerbs.contains(TaskMatcher.stem(a)) && !TaskMatcher.errandVerbs.contains(TaskMatcher.stem(b)) {
                    let phrase = a + " " + b
                    let count = tasks.filter { ($0["title"]?.stringValue ?? "").lowercased().contains(phrase) }.count
                    if count == best.count { return phrase }
                }
            }
            return best?.word ?? query
        }

        /// The tasks of a `list_tasks` result this filter shows (the tool has no note filter).
        func shown(_ tasks: [JSONValue]) -> [JSONValue] {
            hasNote ? tasks.filter { !($0["description"]?.stringValue ?? "").isEmpty } : tasks
        }
    }

    enum TaskAction: Equatable {
        case complete
        case reopen
        case delete
        case update(TaskChange)

        /// Whether it writes a title or a note (text the user gave), not only a status or a date.
        var writesText: Bool {
            if case .update(let change) = self { return change.title != nil || change.description != nil }
            return false
        }
    }

    struct TaskChange: Equatable {
        var title: String?
        /// `.some(nil)` clears it.
        var description: String??
        var due: DueChange?
    }

    enum DueChange: Equatable {
        case set(Date)
        case clear
        /// Days added to the current due date.
        case shift(Int)
        /// Minutes added to the current due date ("push it an hour").
        case shiftMinutes(Int)
        /// A new time of day on the current due date.
        case time(hour: Int, minute: Int)
        /// A new day, keeping the current time of day.
        case day(Date)
    }

    /// How the user names the tasks meant.
    enum Target: Equatable {
        /// Numbers in the last list shown ("3", "the second one", "1 and 5"); -1 is the last.
        case numbers([Int])
        /// Every task of the last list or question ("both", "those").
        case all
        /// "it", "that one": the task just talked about; else the title words said elsewhere in
        /// the message ("spoke to dad yesterday, that's done").
        case pronoun([String])
        /// Every task with this status ("reopen all my finished tasks").
        case every(String)
        /// Tasks already found (an answer to a clarifying question).
        case tasks([JSONValue])
        /// Words of a title ("the dentist", "invioce to acme").
        case words([String])
        /// Tasks picked by what they are, not by name: "the one with a note", "the done one".
        case described(TaskDescriptor)
        /// "the other one": of two tasks shown (or offered in a question), the one not just acted on,
        /// or the one the given words do not name ("not mom, the other one").
        case other(not: [String])
        case none
    }

    /// What "the one with a note" or "the completed one" says about the task meant.
    struct TaskDescriptor: Equatable {
        /// Only tasks with a note.
        var hasNote = false
        /// Only tasks of this status (`open` or `done`).
        var status: String?
        /// Only tasks without a due date.
        var undated = false
        /// Only tasks due in [dueFrom, dueBefore).
        var dueFrom: Date?
        var dueBefore: Date?
        /// How a reply names the group: "have a note", "are done".
        var label: String

        /// Whether `task` (as `list_tasks` returns it) is one of those described.
        func matches(_ task: JSONValue) -> Bool {
            if hasNote, (task["description"]?.stringValue ?? "").isEmpty { return false }
            if let status, (task["completed"] == .bool(true)) != (status == "done") { return false }
            if undated, task["dueAt"]?.stringValue != nil { return false }
            if dueFrom != nil || dueBefore != nil {
                guard let due = task["dueAt"]?.stringValue.flatMap({ ISO8601.date(from: $0) }) else { return false }
                if let dueFrom, due < dueFrom { return false }
                if let dueBefore, due >= dueBefore { return false }
            }
            return true
        }
    }

    struct Fragment: Equatable {
        var target: Target
        var due: DueChange?
        /// The fragment as typed (a title for a follow-up "and buy eggs").
        var text: String
        var status: String?
        /// "I meant …": a correction of the previous request.
        var correction = false
    }
}
