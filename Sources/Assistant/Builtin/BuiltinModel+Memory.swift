import Foundation
import StoaCore

extension BuiltinModel {
    /// What the conversation so far says, read back from its saved messages and tool calls:
    /// the last list shown (for "number 3"), the task just talked about (for "it"), a question
    /// the assistant asked and is waiting on, and the last change (for "undo").
    ///
    /// The built-in model is deterministic, so an earlier message read again gives the reading
    /// it had then; nothing beyond the messages needs to be stored.
    struct Memory {
        struct Exchange {
            var user: String
            /// The assistant's turns that answered it (their saved tool calls are read on demand).
            var replies: [ChatTurn]
            let context: ModelContext
            var records: [ToolRecord] { replies.flatMap(\.toolRecords) }
            /// How the user's message was read (on demand: most turns never look back).
            var intent: Intent { BuiltinModel.parseOnce(user, context: context) }
        }

        /// A request the assistant could not carry out yet: it asked which task was meant
        /// (`candidates`), or found none.
        struct Pending {
            var intent: Intent
            var candidates: [JSONValue]
        }

        let exchanges: [Exchange]
        let context: ModelContext

        /// Reads at most the last ten exchanges.
        init(history: [ChatTurn], context: ModelContext) {
            var exchanges: [Exchange] = []
            var user: String?
            for turn in history {
                switch turn.role {
                case .user:
                    user = turn.content
                case .assistant:
                    if let text = user {
                        exchanges.append(Exchange(user: text, replies: [turn], context: context))
                        user = nil
                    } else if !exchanges.isEmpty {
                        exchanges[exchanges.count - 1].replies.append(turn)
                    }
                default: break
                }
            }
            self.context = context
            self.exchanges = Array(exchanges.suffix(10))
        }

        static let mutating: Set<String> = [AssistantTool.addTask.name, AssistantTool.updateTask.name, AssistantTool.completeTask.name,
                                            AssistantTool.deleteTask.name]

        /// The intent an earlier exchange was carried out with (fragments read against the one before).
        func resolvedIntent(at index: Int, depth: Int = 0) -> Intent {
            let intent = exchanges[index].intent
            guard case .fragment(let fragment) = intent, depth < 3 else { return intent }
            let before = index > 0 ? resolvedIntent(at: index - 1, depth: depth + 1) : nil
            let pending = index > 0 ? self.pending(at: index - 1) : nil
            return BuiltinModel.combine(fragment, previous: before, pending: pending)
        }

        /// The numbered tasks of the most recent list shown to the user.
        var lastShownList: [JSONValue]? {
            for index in exchanges.indices.reversed() {
                let exchange = exchanges[index]
                guard case .list(let filter) = resolvedIntent(at: index), let record = exchange.records.last(where: { $0.name == AssistantTool.listTasks.name }),
                      case .array(let tasks)? = record.result["tasks"] else { continue }
                return filter.shown(tasks)
            }
            return nil
        }

        /// The task the conversation is about: the one last changed, the only one of the last list
        /// shown, or the one the last question was about.
        var focus: JSONValue? {
            for index in exchanges.indices.reversed() {
                let exchange = exchanges[index]
                if let last = exchange.records.last(where: { Self.mutating.contains($0.name) }) {
                    if last.name == AssistantTool.deleteTask.name { return nil }
                    return last.result["task"]
                }
                let intent = resolvedIntent(at: index)
                if case .list = intent, let record = exchange.records.last(where: { $0.name == AssistantTool.listTasks.name }),
                   case .array(let tasks)? = record.result["tasks"] {
                    return tasks.count == 1 ? tasks[0] : nil
                }
                if case .details(let target) = intent, case .words(let words) = target,
                   let lookup = exchange.records.last(where: { $0.name == AssistantTool.listTasks.name }),
                   case .array(let tasks)? = lookup.result["tasks"] {
                    let ranked = TaskMatcher.rank(words, in: tasks)
                    return ranked.full.count == 1 ? ranked.full[0] : nil
                }
                // "whens the 7th due": the task of that number in the last list shown.
                if case .details(let target) = intent, case .numbers(let numbers) = target, numbers.count == 1, let list = lastShownList,
                   list.indices.contains(numbers[0] - 1) {
                    return list[numbers[0] - 1]
                }
                if case .details = intent { continue }
                if case .unknown = intent { continue }
                if case .greeting = intent { continue }
                if case .thanks = intent { continue }
                if case .smallTalk = intent { continue }
                return nil
            }
            return nil
        }

        /// The tasks of the last question asked back ("which call?"), within the last three exchanges,
        /// even when it has been answered since ("mom" … "and move the other one to sunday").
        var recentCandidates: [JSONValue]? {
            for index in exchanges.indices.reversed().prefix(3) {
                if let candidates = pending(at: index)?.candidates, candidates.count >= 2 { return candidates }
            }
            return nil
        }

        /// The request of the last exchange, if it changed nothing because the task was unclear.
        var pending: Pending? {
            guard let last = exchanges.indices.last else { return nil }
            if let pending = pending(at: last) { return pending }
            // "mark the call done" → "which calls do i have?" → "the 2nd one then": the request still waits, over the list shown.
            if last >= 1, case .list = resolvedIntent(at: last), let earlier = pending(at: last - 1), case .act = earlier.intent,
               let shown = lastShownList, shown.count >= 2 {
                return Pending(intent: earlier.intent, candidates: shown)
            }
            return nil
        }

        func pending(at index: Int) -> Pending? {
            let exchange = exchanges[index]
            guard !exchange.records.contains(where: { Self.mutating.contains($0.name) }) else { return nil }
            let intent = resolvedIntent(at: index)
            guard case .act(_, let target) = intent else { return nil }
            switch target {
            case .words(let words):
                guard let lookup = exchange.records.last(where: { $0.name == AssistantTool.listTasks.name }),
                      case .array(let tasks)? = lookup.result["tasks"] else { return Pending(intent: intent, candidates: []) }
                let ranked = TaskMatcher.rank(words, in: tasks)
                return Pending(intent: intent, candidates: ranked.full.count > 1 ? ranked.full : ranked.partial)
            case .described(let descriptor):
                guard let lookup = exchange.records.last(where: { $0.name == AssistantTool.listTasks.name }),
                      case .array(let tasks)? = lookup.result["tasks"] else { return Pending(intent: intent, candidates: []) }
                return Pending(intent: intent, candidates: tasks.filter(descriptor.matches))
            case .pronoun, .none:
                return Pending(intent: intent, candidates: [])
            default:
                return nil
            }
        }

        /// How task `id` looked before the last change to it: from a list shown or a change made
        /// earlier in the conversation.
        func stateBeforeLastChange(of id: String) -> JSONValue? {
            var passedChange = false
            for exchange in exchanges.reversed() {
                for record in exchange.records.reversed() {
                    if !passedChange {
                        if Self.mutating.contains(record.name), record.result["task"]?["id"]?.stringValue == id { passedChange = true }
                        continue
                    }
                    if let task = record.result["task"], task["id"]?.stringValue == id { return task }
                    if case .array(let tasks)? = record.result["tasks"], let task = tasks.first(where: { $0["id"]?.stringValue == id }) { return task }
                }
            }
            return nil
        }

        /// The last change made in this conversation, and how to take it back.
        var lastChange: ToolRecord? {
            for exchange in exchanges.reversed() {
                if let last = exchange.records.last(where: { Self.mutating.contains($0.name) }) { return last }
            }
            return nil
        }
    }

    /// `title` with the words `correction` replaces: the run of the same length that ends at the
    /// correction's last word ("Buy oat milk" + "almond milk" → "Buy almond milk") or starts at
    /// its first; else the correction is the whole title.
    static func corrected(_ title: String, with correction: String) -> String {
        var words = title.split(separator: " ").map(String.init)
        var fix = correction.split(separator: " ").map(String.init)
        let lower = words.map { $0.lowercased() }
        guard let lastFix = fix.last?.lowercased(), let firstFix = fix.first?.lowercased(), fix.count < words.count else { return correction }
        let range: Range<Int>
        if let end = lower.lastIndex(of: lastFix), end + 1 >= fix.count {
            range = (end + 1 - fix.count)..<(end + 1)
        } else if let start = lower.firstIndex(of: firstFix), start + fix.count <= words.count {
            range = start..<(start + fix.count)
        } else {
            return correction
        }
        // Keep the title's capital where the correction lands on its first word, and lower case inside it.
        if range.lowerBound > 0, let first = fix.first, first.first?.isUppercase == true, words[range.lowerBound].first?.isLowercase == true {
            fix[0] = first.prefix(1).lowercased() + first.dropFirst()
        }
        words.replaceSubrange(range, with: fix)
        return BuiltinModel.cleanTitle(words.joined(separator: " "))
    }

    /// A follow-up with no verb, read against the previous request (or the question the
    /// assistant asked): "mom" → the one with mom; "and 4 too" → the same change for 4;
    /// "I meant in 4 days" → the same change with the new date.
    static func combine(_ fragment: Fragment, previous: Intent?, pending: Memory.Pending?) -> Intent {
        if let pending, case .act(let action, let target) = pending.intent {
            var action = action
            if let due = fragment.due, case .update(var change) = action { change.due = due; action = .update(change) }
            switch fragment.target {
            case .words(let words):
                let ranked = TaskMatcher.rank(words, in: pending.candidates)
                if ranked.full.count == 1 || !ranked.full.isEmpty && fragment.text.lowercased().hasPrefix("both") { return .act(action, .tasks(ranked.full)) }
                return .act(action, .words(words))
            case .all:
                return pending.candidates.isEmpty ? .act(action, target) : .act(action, .tasks(pending.candidates))
            case .numbers(let numbers) where !pending.candidates.isEmpty:
                let chosen = numbers.compactMap { n -> JSONValue? in
                    let index = n == -1 ? pending.candidates.count - 1 : n - 1
                    return pending.candidates.indices.contains(index) ? pending.candidates[index] : nil
                }
                return chosen.isEmpty ? .act(action, .numbers(numbers)) : .act(action, .tasks(chosen))
            case .other(let not) where pending.candidates.count == 2 && !not.isEmpty:
                let named = TaskMatcher.rank(not, in: pending.candidates).full
                if named.count == 1, let other = pending.candidates.first(where: { $0["id"] != named[0]["id"] }) { return .act(action, .tasks([other])) }
            case .none where fragment.due != nil:
                return .act(action, target)
            case .none where pending.candidates.count == 1 && ["yes", "yep", "yeah", "y", "sure", "ok", "okay", "correct", "right"].contains(fragment.text.lowercased()):
                return .act(action, .tasks(pending.candidates))
            default:
                break
            }
        }
        guard let previous else { return labelled(fragment) }
        switch previous {
        case .list(var filter):
            if let status = fragment.status { filter.status = status; filter.statusSaid = true }
            // "just the ones with notes": the same list, narrowed.
            if case .described(let described) = fragment.target {
                if described.hasNote { filter.hasNote = true }
                if let status = described.status { filter.status = status; filter.statusSaid = true }
                if described.undated { filter.undated = true }
                return .list(filter)
            }
            if case .words(let words) = fragment.target {
                filter.query = words.map(TaskMatcher.stem).joined(separator: " ")
                if fragment.status == nil { filter.status = "all"; filter.statusSaid = false }
            } else if fragment.status != nil {
                filter.query = nil
            }
            return .list(filter)
        case .add(var task):
            // "add 'renew passport'" … "no wait, I meant 'renew passport and id card'": the new task renamed.
            if fragment.correction, fragment.due == nil, !fragment.text.isEmpty, case .words = fragment.target {
                return .act(.update(TaskChange(title: fragment.text)), .pronoun([]))
            }
            // "add call plumber thursday" … "sorry, friday not thursday": the new task's date corrected.
            if let due = fragment.due, fragment.target == .none || fragment.correction && fragment.text.isEmpty {
                return .act(.update(TaskChange(due: due)), .pronoun([]))
            }
            if fragment.text.isEmpty { return .unknown }
            // "add call the plumber" … "sorry, electrician not plumber": a word of the new title replaced.
            let parts = fragment.text.lowercased().components(separatedBy: " not ").map { $0.split(separator: " ") }
            if parts.count == 2, parts[0].count <= 2, parts[1].count == 1, let new = parts[0].last,
               let range = task.title.range(of: String(parts[1][0]), options: .caseInsensitive) {
                return .act(.update(TaskChange(title: task.title.replacingCharacters(in: range, with: String(new)))), .pronoun([]))
            }
            if case .words = fragment.target {
                task.title = fragment.text
                task.description = nil
                if case .set(let due)? = fragment.due { task.due = due } else { task.due = nil }
                return .add(task)
            }
            return .unknown
        case .act(var action, let target):
            if fragment.correction, fragment.due == nil, case .update(var change) = action, let title = change.title, !fragment.text.isEmpty {
                // "rename buy milk to buy oat milk" … "sorry, I meant almond milk": the same task, the new title corrected.
                change.title = corrected(title, with: fragment.text)
                return .act(.update(change), .pronoun([]))
            }
            if let due = fragment.due, case .update(var change) = action { change.due = due; action = .update(change) }
            if fragment.target == .none || fragment.target == .pronoun([]) { return fragment.due != nil || fragment.correction ? .act(action, target) : .unknown }
            // "all"/"both" with no verb of its own never repeats a change on every task ("thx, that's all").
            if fragment.target == .all { return .unknown }
            return .act(action, fragment.target)
        case .details(let target):
            // "when's the tax stuff due?" … "a week later pls"
            if let due = fragment.due { return .act(.update(TaskChange(due: due)), fragment.target == .none ? target : fragment.target) }
            return fragment.target == .none ? .unknown : .details(fragment.target)
        default:
            return labelled(fragment)
        }
    }

    /// "acme invoice wednesday" with nothing before it to follow: a new date for the task those
    /// words name (or, when they name none, a question for the documents).
    static func labelled(_ fragment: Fragment) -> Intent {
        guard case .words(let words) = fragment.target, let due = fragment.due, (1...4).contains(words.count), !words.contains("&") else { return .unknown }
        return .labelled(words: words, change: TaskChange(due: due))
    }
}
