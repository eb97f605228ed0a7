import Foundation
import StoaCore

extension BuiltinModel {
    /// One round of a turn: with the intent read, either the next tool call(s) or, once the
    /// tools ran, the answer in words that says exactly what changed.
    struct Turn {
        let model: BuiltinModel
        /// Tool results of this turn so far.
        let records: [ToolRecord]
        let memory: Memory
        let context: ModelContext

        var calendar: Calendar {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = context.timeZone
            return calendar
        }

        func say(_ text: String) -> [ModelEvent] { model.say(text) }

        /// "1. Call mom\n2. Call dad": the titles a question offers, numbered for the answer.
        func numberedTitles<Tasks: Sequence>(_ tasks: Tasks) -> String where Tasks.Element == JSONValue {
            tasks.enumerated().map { "\($0 + 1). \($1["title"]?.stringValue ?? "")" }.joined(separator: "\n")
        }

        /// The `add_task` call that creates `task`.
        func addCall(_ task: NewTask) -> ModelEvent {
            var args: [(String, JSONValue)] = [("title", .string(task.title))]
            if let description = task.description { args.append(("description", .string(description))) }
            if let due = task.due { args.append(("due_at", .date(due))) }
            return model.call(AssistantTool.addTask.name, args)
        }

        /// The `list_tasks` call that shows `filter`.
        func listCall(_ filter: TaskFilter) -> ModelEvent {
            var args: [(String, JSONValue)] = [("status", .string(filter.status))]
            if let query = filter.query { args.append(("q", .string(query))) }
            if let from = filter.dueFrom { args.append(("due_after", .date(from))) }
            if let before = filter.dueBefore { args.append(("due_before", .date(before))) }
            if filter.undated { args.append(("no_due_date", .bool(true))) }
            return model.call(AssistantTool.listTasks.name, args)
        }

        func step(_ intent: Intent) -> [ModelEvent] {
            if let error = records.last?.result["error"]?.stringValue { return say("Sorry, that didn't work: \(error)") }
            switch intent {
            case .add(let task):
                if let added = records.last(where: { $0.name == AssistantTool.addTask.name })?.result["task"] {
                    return say("Added task: \(added["title"]?.stringValue ?? task.title)\(dueText(added).isEmpty ? "" : " (\(dueText(added).dropFirst()))")\(noteText(added))")
                }
                return [addCall(task)]
            case .noteOrAdd(let words, let note, let task):
                if records.contains(where: { $0.name == AssistantTool.addTask.name }) { return step(.add(task)) }
                guard let lookup = records.last(where: { $0.name == AssistantTool.listTasks.name }) else { return [listCall(TaskFilter(status: "all"))] }
                if case .array(let all)? = lookup.result["tasks"], case let full = TaskMatcher.rank(words, in: all).full, full.count == 1 {
                    return act(.update(TaskChange(description: .some(note))), .tasks(full))
                }
                return step(.add(task))
            case .list(var filter):
                var lists = records.filter { $0.name == AssistantTool.listTasks.name }
                // Several words could be the keyword: look the tasks up, then search the telling one.
                if !filter.alternatives.isEmpty {
                    guard let lookup = lists.first else { return [listCall(TaskFilter(status: "all"))] }
                    if case .array(let all)? = lookup.result["tasks"] { filter.query = filter.bestKeyword(in: all) }
                    filter.alternatives = []
                    lists.removeFirst()
                }
                guard let last = lists.last else { return [listCall(filter)] }
                // "is the car insurance due soon?": nothing in the window, so the task itself, with its date.
                if let query = filter.query, filter.dueFrom != nil || filter.dueBefore != nil, case .array(let first)? = lists[0].result["tasks"], first.isEmpty {
                    var keywordOnly = TaskFilter(status: "all", query: query)
                    keywordOnly.statusSaid = true
                    if lists.count == 1 { return [listCall(keywordOnly)] }
                    if case .array(let found)? = lists[1].result["tasks"], !found.isEmpty {
                        let window = filter.dueLabel.map { " " + $0 } ?? " in that window"
                        return say("Nothing about “\(query)” is\(window). " + describeList(lists[1].result, filter: keywordOnly))
                    }
                    // The word names no task either ("anything overdue? I've lost track"): the window without it.
                    var windowOnly = filter
                    windowOnly.query = nil
                    if lists.count == 2 { return [listCall(windowOnly)] }
                    return say((filter.queryGuessed ? "" : "Nothing matches “\(query)”. ") + describeList(lists[2].result, filter: windowOnly))
                }
                // A word guessed as the keyword ("give me a rundown of …") that matches nothing: the list without it.
                var broader = filter
                broader.query = nil
                // A keyword with a small typo that matches nothing ("dentsit", "insurnace"): all tasks
                // are looked up, and a title word it is one slip away from is searched instead.
                if let query = filter.query, case .array(let first)? = lists[0].result["tasks"], first.isEmpty {
                    var everything = TaskFilter(status: "all")
                    everything.statusSaid = filter.statusSaid
                    if lists.count == 1 { return [listCall(filter.queryGuessed ? broader : everything)] }
                    if case .array(let all)? = lists[1].result["tasks"], let fixed = TaskMatcher.typoFix(query, in: all) {
                        var corrected = filter
                        corrected.query = fixed
                        corrected.queryGuessed = false
                        if lists.count == 2 { return [listCall(corrected)] }
                        return say(describeList(last.result, filter: corrected))
                    }
                    if !filter.queryGuessed { return say(describeList(lists[0].result, filter: filter)) }
                }
                if filter.queryGuessed, let query = filter.query, case .array(let found)? = last.result["tasks"] {
                    if lists.count == 1, found.isEmpty { return [listCall(broader)] }
                    if lists.count > 1 { return say("Nothing matches “\(query)”. " + describeList(last.result, filter: broader)) }
                }
                return say(describeList(last.result, filter: filter))
            case .act(let action, let target):
                return act(action, target)
            case .many(let intents):
                let done = records.filter { Memory.mutating.contains($0.name) }
                if !done.isEmpty { return say(summary(done, action: .complete)) }
                var calls: [ModelEvent] = []
                for intent in intents {
                    if case .add(let task) = intent {
                        calls.append(addCall(task))
                        continue
                    }
                    guard case .act(let action, let target) = intent else { continue }
                    switch resolve(target, action: action) {
                    case .events(let events): return events   // a look-up first, or a question back
                    case .tasks(let tasks): calls += tasks.compactMap { call(action, on: $0) }
                    }
                }
                return calls.isEmpty ? say("I couldn't tell what to change. Try one request at a time.") : calls
            case .details(let target):
                // "anything with quotes in the notes?": words that name no title are searched in the notes too.
                if case .words(let words) = target, let lookup = records.last(where: { $0.name == AssistantTool.listTasks.name }) {
                    if lookup.arguments["q"] != nil { return say(describeList(lookup.result, filter: TaskFilter(status: "all", query: lookup.arguments["q"]?.stringValue))) }
                    if case .array(let all)? = lookup.result["tasks"], TaskMatcher.rank(words.filter { $0 != "&" }, in: all).full.count != 1,
                       let longest = words.filter({ $0 != "&" }).map(TaskMatcher.stem).max(by: { $0.count < $1.count }) {
                        // The word that finds the fewest tasks ("tax forms" → "tax" when other tasks have forms).
                        var keyword = TaskFilter(status: "all", query: longest)
                        keyword.alternatives = words.filter { $0 != "&" }.map(TaskMatcher.stem).filter { $0 != longest }
                        let word = keyword.bestKeyword(in: all) ?? longest
                        return [model.call(AssistantTool.listTasks.name, [("status", .string("all")), ("q", .string(word))])]
                    }
                }
                switch resolve(target, action: nil) {
                case .events(let events): return events
                case .tasks(let tasks): return say(tasks.map(details).joined(separator: "\n"))
                }
            case .undo:
                guard let change = memory.lastChange, let task = change.result["task"] ?? change.result["deleted"],
                      let id = task["id"]?.stringValue else {
                    // "did i book the lisbon flights" … "hmm undo that": the done task just shown, reopened.
                    if let focus = memory.focus, focus["completed"] == .bool(true) { return act(.reopen, .tasks([focus])) }
                    return say("There's nothing I can undo in this conversation.")
                }
                switch change.name {
                case AssistantTool.completeTask.name: return act(.reopen, .tasks([task]))
                case AssistantTool.addTask.name: return act(.delete, .tasks([task]))
                case AssistantTool.updateTask.name where change.arguments["completed"] == .bool(false): return act(.complete, .tasks([task]))
                case AssistantTool.updateTask.name:
                    guard let before = memory.stateBeforeLastChange(of: id) else { break }
                    var restore = TaskChange()
                    if change.arguments["title"] != nil { restore.title = before["title"]?.stringValue }
                    if change.arguments["description"] != nil { restore.description = .some(before["description"]?.stringValue) }
                    if change.arguments["due_at"] != nil {
                        restore.due = before["dueAt"]?.stringValue.flatMap { ISO8601.date(from: $0) }.map(DueChange.set) ?? .clear
                    }
                    if change.arguments["completed"] == .bool(true) { return act(.reopen, .tasks([task])) }
                    return act(.update(restore), .tasks([task]))
                default:
                    break
                }
                switch change.name {
                case AssistantTool.deleteTask.name:
                    return say("I can't bring back a deleted task, but I can add it again: say “add …”.")
                default:
                    return say("I can only undo marking a task done or reopening it, and adding a task. Tell me what to change instead.")
                }
            case .dismiss:
                return say("OK, I've left everything as it is.")
            case .thanks:
                return say("You're welcome!")
            case .smallTalk:
                return say("I'm here whenever you need me: I can keep your task list (\"what's on my list\", \"add a task to …\") or look things up in the documents.")
            case .greeting:
                return say("Hello! I can keep your task list: try \"add a task to buy milk\", \"what's on my list\" or \"mark 1 done\".")
            case .addWhat:
                return say("What should the task say? For example: “pick up the prescription on Friday”.")
            case .fragment, .help, .unknown, .labelled:   // (`plan` resolves `.labelled` before a turn steps)
                return say("""
                    I'm the built-in assistant and I only understand task commands, for example: "add a task to buy milk tomorrow", \
                    "what's on my list", "show done tasks", "mark 2 done", "reopen 2", "rename 1 to Buy oat milk", "move 1 to Friday", \
                    "delete the milk task". Connect a model (OPENAI_API_KEY or GEMINI_API_KEY) for open conversation.
                    """)
            }
        }

        // MARK: - Acting on tasks

        enum Resolution {
            case tasks([JSONValue])
            case events([ModelEvent])
        }

        func act(_ action: TaskAction, _ target: Target) -> [ModelEvent] {
            let done = records.filter { Memory.mutating.contains($0.name) }
            if !done.isEmpty { return say(summary(done, action: action)) }
            // "move the dentist appt": no date yet, so ask for one.
            if case .update(let change) = action, change.title == nil, change.description == nil, change.due == nil {
                switch resolve(target, action: action) {
                case .events(let events): return events
                case .tasks(let tasks):
                    let title = tasks.first?["title"]?.stringValue ?? "it"
                    return say("When should “\(title)” be due? Say a day or a date, like “monday” or “in 3 days”. Nothing has changed yet.")
                }
            }
            switch resolve(target, action: action) {
            case .events(let events): return events
            case .tasks(let tasks): return tasks.compactMap { call(action, on: $0) }
            }
        }

        /// The tasks a target names, or what to do first (look them up) or say instead.
        func resolve(_ target: Target, action: TaskAction?) -> Resolution {
            switch target {
            case .tasks(let tasks):
                return .tasks(tasks)
            case .numbers(let numbers):
                // The candidates of a question just asked, unless a number is beyond them and fits the
                // last full list ("which call?" … "number 6", as that list showed it).
                let fits = { (list: [JSONValue]) in numbers.allSatisfy { $0 == -1 || list.indices.contains($0 - 1) } }
                let candidates = memory.pending.flatMap { $0.candidates.isEmpty ? nil : $0.candidates }
                let shown = memory.lastShownList
                let list = candidates.map { fits($0) || !(shown.map(fits) ?? false) ? $0 : shown ?? $0 } ?? shown
                guard let list else {
                    return .events(say("I don't know which task \(numbers.map(String.init).joined(separator: " and ")) is yet. Ask me to list your tasks first."))
                }
                var tasks: [JSONValue] = []
                for n in numbers {
                    let index = n == -1 ? list.count - 1 : n - 1
                    guard list.indices.contains(index) else {
                        return .events(say("The last list I showed has \(list.count) task\(list.count == 1 ? "" : "s"); there is no number \(n)."))
                    }
                    tasks.append(list[index])
                }
                return .tasks(tasks)
            case .every(let status):
                guard let list = records.last(where: { $0.name == AssistantTool.listTasks.name && $0.arguments["status"]?.stringValue == status }) else {
                    return .events([model.call(AssistantTool.listTasks.name, [("status", .string(status))])])
                }
                guard case .array(let tasks)? = list.result["tasks"], !tasks.isEmpty else {
                    return .events(say("You have no \(status) tasks, so nothing changed."))
                }
                return .tasks(tasks)
            case .all:
                if let candidates = memory.pending?.candidates, !candidates.isEmpty { return .tasks(candidates) }
                if let list = memory.lastShownList, !list.isEmpty { return .tasks(list) }
                return .events(say("Which tasks do you mean? Ask me to list them first."))
            case .pronoun(let fallback):
                // Title words said in the same message come first ("spoke to dad, that's done"), then the task just talked about.
                if !fallback.isEmpty {
                    guard let lookup = records.last(where: { $0.name == AssistantTool.listTasks.name }) else {
                        return .events([model.call(AssistantTool.listTasks.name, [("status", .string("all"))])])
                    }
                    if case .array(let all)? = lookup.result["tasks"] {
                        let ranked = TaskMatcher.rank(fallback.filter { $0 != "&" }, in: all)
                        if ranked.full.count == 1 { return .tasks(ranked.full) }
                        // "rent isn't paid after all, the transfer bounced. put it back": the one group that names a task.
                        let named = fallback.split(separator: "&").compactMap { group -> JSONValue? in
                            let full = TaskMatcher.rank(Array(group), in: all).full
                            return full.count == 1 ? full[0] : nil
                        }
                        if let first = named.first, named.allSatisfy({ $0["id"] == first["id"] }) { return .tasks([first]) }
                        // "need the milk by tmrw for the pancakes, set that": the one word that names one task.
                        let single = fallback.filter { $0 != "&" }.compactMap { word -> JSONValue? in
                            let full = TaskMatcher.rank([word], in: all).full
                            return full.count == 1 ? full[0] : nil
                        }
                        if let first = single.first, single.allSatisfy({ $0["id"] == first["id"] }) { return .tasks([first]) }
                    }
                    if let focus = memory.focus { return .tasks([focus]) }
                    return resolve(.words(fallback), action: action)
                }
                if let focus = memory.focus { return .tasks([focus]) }
                // "show my done stuff" … "reopen it": two or more were shown, so ask which.
                if let shown = memory.lastShownList, shown.count >= 2, shown.count <= 6 {
                    let lines = numberedTitles(shown)
                    return .events(say("Which one do you mean?\n\(lines)\nSay its number or a word of its title. Nothing has changed yet."))
                }
                return .events(say("Which task do you mean? Say its title or its number in a list, or ask me to list your tasks."))
            case .other(let not):
                // Of the two tasks just shown or offered, the one not named or not just acted on.
                let offered = memory.pending.flatMap { $0.candidates.isEmpty ? nil : $0.candidates } ?? memory.recentCandidates ?? memory.lastShownList
                if let offered, offered.count == 2, !not.isEmpty, case let named = TaskMatcher.rank(not, in: offered).full, named.count == 1,
                   let other = offered.first(where: { $0["id"] != named[0]["id"] }) {
                    return .tasks([other])
                }
                if let offered, offered.count == 2, let focus = memory.focus, offered.contains(where: { $0["id"] == focus["id"] }),
                   let other = offered.first(where: { $0["id"] != focus["id"] }) {
                    return .tasks([other])
                }
                // "mark call mom done" … "and the other call too": the one other task that shares the first word of its title.
                if offered == nil, let focus = memory.focus, let first = TaskMatcher.titleWords(focus["title"]?.stringValue ?? "").first {
                    guard let lookup = records.last(where: { $0.name == AssistantTool.listTasks.name && $0.arguments["q"] == nil }),
                          case .array(let all)? = lookup.result["tasks"] else {
                        return .events([model.call(AssistantTool.listTasks.name, [("status", .string("all"))])])
                    }
                    let siblings = all.filter { $0["id"] != focus["id"] && TaskMatcher.titleWords($0["title"]?.stringValue ?? "").first == first }
                    if siblings.count == 1 { return .tasks(siblings) }
                }
                return .events(say("Which task do you mean? Say its title or its number in a list, or ask me to list your tasks."))
            case .described(let descriptor):
                guard let lookup = records.last(where: { $0.name == AssistantTool.listTasks.name && $0.arguments["q"] == nil }),
                      case .array(let all)? = lookup.result["tasks"] else {
                    return .events([model.call(AssistantTool.listTasks.name, [("status", .string("all"))])])
                }
                let found = all.filter(descriptor.matches)
                if found.count == 1 { return .tasks(found) }
                if found.isEmpty { return .events(say("None of your tasks \(descriptor.label), so nothing has changed.")) }
                let lines = numberedTitles(found.prefix(6))
                return .events(say("Several tasks \(descriptor.label):\n\(lines)\nWhich one do you mean? You can say its number or a word of its title. Nothing has changed yet."))
            case .none:
                if let focus = memory.focus { return .tasks([focus]) }
                // "clear the note pls", "change the note to: …": one of the tasks that have a note.
                if case .update(let change)? = action, change.description != nil, change.title == nil, change.due == nil {
                    return resolve(.described(TaskDescriptor(hasNote: true, label: "have a note")), action: action)
                }
                // "mark my completed task as not done": one of the done tasks.
                if case .reopen? = action {
                    return resolve(.described(TaskDescriptor(status: "done", label: "are done")), action: action)
                }
                return .events(say("Which task do you mean? Say its title or its number in a list, or ask me to list your tasks."))
            case .words(let words):
                let groups = words.split(separator: "&").map(Array.init).filter { !$0.isEmpty }
                let flat = groups.flatMap { $0 }
                // The look-up: first by the most telling word (a list shows at most 50 tasks, so a
                // long list is searched, not scanned), then, when that finds no match, all of them.
                let lookups = records.filter { $0.name == AssistantTool.listTasks.name }
                // The first word that is not an errand's verb ("tax forms" → "tax", "dentist appointment" →
                // "dentist": the modifier tells tasks apart, the head noun is shared), else the longest.
                let stems = flat.map(TaskMatcher.stem).filter { $0.count >= 3 }
                var keyword = groups.count == 1 ? (stems.count > 1 ? stems.first { !TaskMatcher.errandVerbs.contains($0) } : nil) ?? stems.max(by: { $0.count < $1.count }) : nil
                // "the car insurance": two words as a title has them are searched together (when they are not, all tasks are looked up next).
                if groups.count == 1, flat.count == 2, flat.allSatisfy({ $0.count >= 3 && $0.allSatisfy(\.isLetter) && !TaskMatcher.errandVerbs.contains(TaskMatcher.stem($0)) }) {
                    keyword = flat.joined(separator: " ")
                }
                guard let lookup = lookups.last else {
                    var args: [(String, JSONValue)] = [("status", .string("all"))]
                    if let keyword { args.append(("q", .string(keyword))) }
                    return .events([model.call(AssistantTool.listTasks.name, args)])
                }
                guard case .array(let all)? = lookup.result["tasks"] else { return .events(say("I couldn't read your tasks.")) }
                if lookups.count == 1, keyword != nil, lookup.arguments["q"] != nil, TaskMatcher.rank(flat, in: all).full.isEmpty {
                    return .events([model.call(AssistantTool.listTasks.name, [("status", .string("all"))])])
                }
                // "delete call mom and call dad", "got the milk, and the gym is sorted": every group names one task.
                if groups.count > 1 {
                    let each = groups.map { TaskMatcher.rank($0, in: all).full }
                    if each.allSatisfy({ $0.count == 1 }) {
                        var seen = Set<String>()
                        let tasks = each.map { $0[0] }.filter { seen.insert($0["id"]?.stringValue ?? "").inserted }
                        return .tasks(tasks)
                    }
                    if TaskMatcher.rank(flat, in: all).full.count != 1, each[0].count == 1 { return .tasks(each[0]) }
                }
                let phrase = (groups.count > 1 && TaskMatcher.rank(flat, in: all).full.isEmpty ? groups[0] : flat).joined(separator: " ")
                let ranked = TaskMatcher.rank(groups.count > 1 && TaskMatcher.rank(flat, in: all).full.isEmpty ? groups[0] : flat, in: all)
                var found = ranked.full
                if found.count > 1, let action {
                    // "call is done" with one call already done means the open one.
                    let fitting = found.filter { task in
                        switch action {
                        case .complete: return task["completed"] == .bool(false)
                        case .reopen: return task["completed"] == .bool(true)
                        default: return true
                        }
                    }
                    if fitting.count == 1 { found = fitting }
                }
                // "what's due this week" … "move the call to monday": the one call that list showed.
                if found.count > 1, let shown = memory.lastShownList {
                    let inShown = found.filter { task in shown.contains { $0["id"] == task["id"] } }
                    if inShown.count == 1 { found = inShown }
                }
                if found.count == 1 { return .tasks(found) }
                if found.count > 1 {
                    let lines = numberedTitles(found.prefix(6))
                    return .events(say("Several tasks match “\(phrase)”:\n\(lines)\nWhich one do you mean? You can say its number or a word of its title. Nothing has changed yet."))
                }
                if !ranked.partial.isEmpty {
                    let names = ranked.partial.prefix(3).map { "“\($0["title"]?.stringValue ?? "")”" }.joined(separator: " or ")
                    return .events(say("I couldn't find a task matching “\(phrase)”. Did you mean \(names)? Nothing has changed."))
                }
                return .events(say("I couldn't find a task matching “\(phrase)”. Nothing has changed; say “show my tasks” to see them all."))
            }
        }

        /// The tool call that carries out `action` on `task`.
        func call(_ action: TaskAction, on task: JSONValue) -> ModelEvent? {
            guard let id = task["id"]?.stringValue else { return nil }
            switch action {
            case .complete:
                return model.call(AssistantTool.completeTask.name, [("task_id", .string(id))])
            case .reopen:
                return model.call(AssistantTool.updateTask.name, [("task_id", .string(id)), ("completed", .bool(false))])
            case .delete:
                return model.call(AssistantTool.deleteTask.name, [("task_id", .string(id))])
            case .update(let change):
                var args: [(String, JSONValue)] = [("task_id", .string(id))]
                if let title = change.title { args.append(("title", .string(title))) }
                if let description = change.description { args.append(("description", description.map(JSONValue.string) ?? .null)) }
                if let due = change.due { args.append(("due_at", newDue(due, current: task["dueAt"]?.stringValue.flatMap { ISO8601.date(from: $0) }).map(JSONValue.date) ?? .null)) }
                return model.call(AssistantTool.updateTask.name, args)
            }
        }

        /// The due date a change gives a task whose due date is `current`.
        func newDue(_ change: DueChange, current: Date?) -> Date? {
            let calendar = self.calendar
            switch change {
            case .set(let date): return date
            case .clear: return nil
            case .shift(let days):
                let base = current ?? calendar.date(bySettingHour: 9, minute: 0, second: 0, of: context.now) ?? context.now
                return calendar.date(byAdding: .day, value: days, to: base)
            case .shiftMinutes(let minutes):
                return calendar.date(byAdding: .minute, value: minutes, to: current ?? context.now)
            case .time(let hour, let minute):
                let day = current ?? context.now
                guard var due = calendar.date(bySettingHour: hour, minute: minute, second: 0, of: day) else { return current }
                if current == nil, due <= context.now { due = calendar.date(byAdding: .day, value: 1, to: due) ?? due }
                return due
            case .day(let day):
                let parts = current.map { calendar.dateComponents([.hour, .minute], from: $0) }
                return calendar.date(bySettingHour: parts?.hour ?? 9, minute: parts?.minute ?? 0, second: 0, of: day)
            }
        }

        // MARK: - Replies

        func summary(_ done: [ToolRecord], action: TaskAction) -> String {
            done.map { record -> String in
                if let deleted = record.result["deleted"] { return "Deleted “\(deleted["title"]?.stringValue ?? "the task")”." }
                guard let task = record.result["task"] else { return "Done." }
                let title = "“\(task["title"]?.stringValue ?? "the task")”"
                switch record.name {
                case AssistantTool.completeTask.name: return "Marked done: \(task["title"]?.stringValue ?? "the task")"
                case AssistantTool.addTask.name: return "Added \(title)\(dueText(task))."
                default:
                    if record.arguments["completed"] == .bool(false) { return "Reopened \(title): it's open again." }
                    var parts: [String] = []
                    if record.arguments["title"] != nil { parts.append("renamed it \(title)") }
                    if let description = record.arguments["description"] {
                        parts.append(description == .null ? "removed its note" : "set its note to “\(description.stringValue ?? "")”")
                    }
                    if record.arguments["due_at"] != nil {
                        let due = dueText(task)
                        parts.append(due.isEmpty ? "removed its due date" : "it's now" + due)
                    }
                    if record.arguments["completed"] == .bool(true) { parts.append("marked it done") }
                    return "Updated \(title): " + (parts.isEmpty ? "no change." : parts.joined(separator: "; ") + ".")
                }
            }.joined(separator: "\n")
        }

        /// " due Fri 20 Nov" or " due Thu 19 Nov at 18:00", in the user's time zone.
        func dueText(_ task: JSONValue) -> String {
            guard let due = task["dueAt"]?.stringValue.flatMap({ ISO8601.date(from: $0) }) else { return "" }
            return " due " + BuiltinModel.when(due, calendar: calendar)
        }

        func noteText(_ task: JSONValue) -> String {
            guard let note = task["description"]?.stringValue, !note.isEmpty else { return "" }
            return " (note: \(note))"
        }

        func details(_ task: JSONValue) -> String {
            let title = task["title"]?.stringValue ?? ""
            let state = task["completed"] == .bool(true) ? "done" : "open"
            let due = dueText(task)
            var line = "“\(title)” is \(state)\(due.isEmpty ? " and has no due date" : "," + due)."
            if let note = task["description"]?.stringValue, !note.isEmpty { line += " Note: \(note)" } else { line += " It has no note." }
            return line
        }

        func describeList(_ result: JSONValue, filter: TaskFilter) -> String {
            guard case .array(let all)? = result["tasks"] else { return "I couldn't read your tasks." }
            let tasks = filter.shown(all)
            let kind = filter.status == "done" ? "done tasks" : filter.status == "all" ? "tasks" : "open tasks"
            var about = filter.query.map { " matching “\($0)”" } ?? ""
            if filter.hasNote { about += " with a note" }
            if let label = filter.dueLabel { about += " " + label }
            if tasks.isEmpty { return "You have no \(kind)\(about)." }
            let lines = tasks.enumerated().map { index, task -> String in
                let check = task["completed"] == .bool(true) ? "[x]" : "[ ]"
                let note = task["description"]?.stringValue.map { $0.isEmpty ? "" : " — \($0)" } ?? ""
                let due = dueText(task)
                return "\(index + 1). \(check) \(task["title"]?.stringValue ?? "")\(due.isEmpty ? "" : " (\(due.dropFirst()))")\(note)"
            }
            return "Your \(kind)\(about):\n" + lines.joined(separator: "\n")
        }
    }

    /// "Fri 20 Nov", with " at 18:00" when the time is not 09:00 (the time a bare day gets).
    static func when(_ date: Date, calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let day = dayName(date, calendar: calendar)
        if parts.hour == 9 && parts.minute == 0 { return day }
        return day + String(format: " at %02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }
}
