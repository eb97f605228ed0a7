import Foundation
import Synchronization

/// Reading a message: cues (verbs and their synonyms, question forms, negations) decide the
/// intent; slots (title, due date, note) and references (numbers, "it", title words) are read
/// around them. Politeness and filler are ignored. Every step is a linear pass over at most
/// ``Utterance/maxCharacters`` characters.
extension BuiltinModel {
    static let filler: Set<String> = ["please", "kindly", "thanks", "thank", "hey", "hi", "hello", "ok", "okay", "oh", "so", "btw", "um", "uh",
                                      "well", "just", "actually", "sorry", "yeah", "yes", "yep", "right", "now", "also", "and", "then", "can", "oops", "whoops",
                                      "ugh", "argh", "meh", "damn", "wow", "finally", "ahh", "nope", "nah", "no", "yup", "hmm", "hm",
                                      "could", "would", "will", "you", "me", "i", "really", "alright", "cool", "great", "hmm", "pls", "lol",
                                      "wait", "ah", "thx", "again", "too", "as", "well", "already", "anyway", "anyways", "after", "all", "bye", "goodbye",
                                      "cya", "cheers"]
    static let pronouns: Set<String> = ["it", "that", "this", "those", "these", "them", "both", "its", "they", "which"]
    static let doneWords: Set<String> = ["done", "finished", "complete", "completed", "ticked", "checked", "closed", "sorted", "handled"]
    static let openWords: Set<String> = ["open", "left", "remaining", "pending", "outstanding", "unfinished", "incomplete", "undone", "todo"]
    /// Words that never name a task: cues, status words, question words and glue.
    static let functionWords: Set<String> = [
        "the", "a", "an", "my", "mine", "to", "of", "for", "on", "in", "at", "with", "is", "are", "was", "were", "be", "been", "being", "am", "latest", "shall", "checkmark", "checkbox", "tickmark",
        "has", "have", "had", "do", "does", "did", "not", "no", "task", "tasks", "one", "ones", "item", "items", "todo", "todos", "thing",
        "things", "stuff", "list", "lists", "from", "about", "should", "say", "says", "called", "instead", "meant", "mean", "there", "what",
        "which", "when", "where", "how", "it", "that", "this", "those", "these", "them", "both", "its", "they", "mark", "set", "make",
        "change", "update", "move", "push", "postpone", "reschedule", "delay", "delete", "remove", "drop", "trash", "erase", "scrap", "ditch",
        "get", "rid", "forget", "reopen", "unfinish", "uncheck", "untick", "undo", "rename", "retitle", "title", "name", "tick", "check",
        "off", "cross", "due", "date", "deadline", "note", "notes", "description", "details", "show", "list", "display", "see", "view",
        "give", "search", "find", "anything", "any", "something", "all", "everything", "need", "anymore", "longer", "go", "gone",
        "actually", "after", "back", "up", "out", "over", "again", "until", "till", "wait", "put", "add", "create", "new", "own", "one's",
        "want", "like", "by", "into", "as", "so", "but", "because", "yet", "still", "already", "just", "now", "then", "too", "also", "and",
        "or", "if", "i", "me", "you", "we", "please", "thanks", "right", "oh", "ok", "okay", "yes", "yeah", "sorry", "hey", "hi", "pls",
        "can", "could", "would", "will", "let", "us", "again", "really", "some", "more", "help", "done", "finished", "complete", "completed",
        "ticked", "checked", "closed", "sorted", "handled", "open", "left", "remaining", "pending", "outstanding", "unfinished", "incomplete",
        "undone", "tomorrow", "today", "morning", "afternoon", "evening", "yesterday", "last", "first", "second", "third", "number", "#",
        "clear", "wipe", "care", "dealt", "taken", "took", "time", "same", "guess", "think", "ready", "good", "whole", "entire", "full",
        "including", "incl", "every", "each", "other", ":", "bin", "kill", "nuke", "discard", "purge", "deleted", "removed", "moved",
        "pushed", "postponed", "rescheduled", "delayed", "forward", "extend", "schedule", "instead", "edit", "fix", "into", "reword",
        "wording", "got", "went", "gotta", "wrong", "mistake", "prepone", "retitle", "replace", "replaced", "swap", "overwrite", "oops", "whoops", "finish", "unmark", "bring", "scratch", "typo", "nope", "nah",
        "far", "stick", "way", "maybe", "perhaps", "said", "told", "going", "comes", "come", "coming", "past", "more", "extra", "re", "regarding", "between", "→", "fell", "through",
        "cancelled", "canceled", "redo", "redoing", "redone", "happen", "happening", "pile", "earlier", "sooner", "later", "hour", "hours", "minute", "minutes", "mark", "marked", "ready", "bump", "shift", "defer", "needs", "cancel", "wipe", "completing", "finishing", "marking", "doing", "uncomplete", "uncompleted", "close", "related", "relating", "concerning", "involving", "attach", "attached", "append", "throw", "away", "take", "only", "ticking", "checking", "completion", "own", "quite", "very", "pretty", "already", "asap", "soon", "later",
    ]

    /// Reads one message (the last few readings are cached: each round of a turn reads it again).
    static func parseOnce(_ text: String, context: ModelContext) -> Intent {
        let key = text + "\u{1}" + context.timeZone.identifier + "\u{1}" + String(Int(context.now.timeIntervalSince1970 / 60))
        if let hit = recentIntents.withLock({ $0[key] }) { return hit }
        let intent = parse(text, context: context)
        recentIntents.withLock { cache in
            if cache.count >= 256 { cache.removeAll(keepingCapacity: true) }
            cache[key] = intent
        }
        return intent
    }

    private static let recentIntents = Mutex<[String: Intent]>([:])

    static func parse(_ raw: String, context: ModelContext) -> Intent {
        // A question about a selected passage (`/api/ask-selection`) is always for the documents.
        guard !raw.hasPrefix(selectionPrefix), let u = Utterance(raw) else { return .unknown }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = context.timeZone
        // "add buy dog food, no wait, cat food": the message as the user corrected it.
        if let fixed = selfCorrected(u, now: context.now, calendar: calendar), let corrected = Utterance(fixed) {
            return Reader(u: corrected, now: context.now, calendar: calendar).intent()
        }
        // "move the dentist to monday? they rang to reschedule": the request without its reasons,
        // when that reads as a request on its own.
        let clearsNote = Utterance.contains(u.lower, "clear the") || Utterance.contains(u.lower, "remove the") || Utterance.contains(u.lower, "delete the")
        if !u.lower.contains(where: { ["note", "notes", "description", "saying", "says"].contains($0) }) || clearsNote,
           let main = u.withoutContext(requestVerbs: Reader.commandVerbs), let reduced = Utterance(main) {
            let intent = Reader(u: reduced, now: context.now, calendar: calendar).intent()
            // ("milk - oat milk, not the regular stuff": a note keeps all its clauses.)
            if case .labelled = intent {} else if ![.unknown, .help, .dismiss, .greeting, .thanks, .smallTalk].contains(intent) { return intent }
        }
        return Reader(u: u, now: context.now, calendar: calendar).intent()
    }

    /// Words that take back what came just before them in the same message.
    static let correctionMarkers: [[String]] = [["no", "wait"], ["wait", "no"], ["no", "sorry"], ["sorry", "i", "mean"], ["i", "mean"],
                                                ["or", "rather"], ["no", "make", "that"], ["make", "that"], ["sorry", "no"]]

    static let strongCorrectionMarkers: [[String]] = [["no", "wait"], ["wait", "no"], ["no", "sorry"], ["sorry", "i", "mean"], ["or", "rather"]]

    /// The message with a correction applied ("buy dog food, no wait, cat food" → "buy cat
    /// food"; "for saturday, no wait sunday" → "for sunday"; "mark call dad done - no wait sorry,
    /// mom" → "mark call mom done"): the correction (one to four words, after a clause break and
    /// a marker) replaces the words of the same ending, else the date, else the last word that
    /// names a task. `nil` when the message has no such correction.
    static func selfCorrected(_ u: Utterance, now: Date, calendar: Calendar) -> String? {
        let w = u.lower
        guard let (marker, length) = correctionMarkers.lazy.compactMap({ m in Utterance.find(w, m.joined(separator: " ")).map { ($0, m.count) } })
            .first(where: { $0.0 > 1 && (u.words[$0.0].clause != u.words[$0.0 - 1].clause || strongCorrectionMarkers.contains(Array(w[$0.0..<($0.0 + $0.1)]))) }) else { return nil }
        var b = marker + length
        while b < w.count, ["sorry", "no", "wait", ",", "i", "mean", "meant", "-", "um", "uh"].contains(w[b]) { b += 1 }
        // "no wait, call it 'schedule oil change'", "no wait make it friday".
        if b + 2 < w.count, ["call", "make", "name"].contains(w[b]), w[b + 1] == "it" { b += 2 }
        var end = w.count - 1
        while end >= b, BuiltinModel.filler.contains(w[end]) || ["!", ".", ","].contains(w[end]) { end -= 1 }
        let count = end - b + 1
        guard count >= 1, count <= 6, !w[b...end].contains(where: { Reader.commandVerbs.contains($0) }) else { return nil }
        let a = Array(w[..<marker])
        let replacement = u.span(b, end)
        func rebuilt(_ from: Int, _ to: Int) -> String {
            [from > 0 ? u.span(0, from - 1) : "", replacement, to + 1 < marker ? u.span(to + 1, marker - 1) : ""]
                .filter { !$0.isEmpty }.joined(separator: " ")
        }
        // The same last word: "dog food" → "cat food".
        if let j = a.lastIndex(of: w[end]), j - (count - 1) >= 0 { return rebuilt(j - (count - 1), j) }
        // The same first word: "call the vet, no wait, call the groomer" → "call the groomer".
        if count >= 2, Reader.isContent(w[b]), let j = a.lastIndex(of: w[b]), j > 0 { return rebuilt(j, min(j + count - 1, marker - 1)) }
        // A date: "saturday" → "sunday".
        let before = DatePhrase.find(in: a, now: now, calendar: calendar)
        // ("… for the 25th no wait the 26th": a bare "the 26th" reads as a date after "on".)
        var after = DatePhrase.find(in: Array(w[b...end]), now: now, calendar: calendar)
        if after.isEmpty, w[b] == "the" {
            let on = DatePhrase.find(in: ["on"] + Array(w[b...end]), now: now, calendar: calendar)
            if !on.isEmpty { after = on }
        }
        // ("due thurs, no wait i meant saturday": "due" stays).
        if !after.isEmpty, let to = before.indices.max(),
           let from = before.indices.sorted().first(where: { !DatePhrase.prefixes.contains(a[$0]) }), from <= to { return rebuilt(from, to) }
        // A task word: "dad" → "mom".
        guard after.isEmpty, count <= 2, w[b...end].allSatisfy(Reader.isContent),
              let j = a.indices.last(where: { Reader.isContent(a[$0]) && !before.indices.contains($0) && u.words[$0].quote == nil }) else { return nil }
        return rebuilt(j, j)
    }

    /// One message being read.
    struct Reader {
        let u: Utterance
        let w: [String]
        let now: Date
        let calendar: Calendar
        let date: DatePhrase

        init(u: Utterance, now: Date, calendar: Calendar) {
            self.u = u
            self.w = u.lower
            self.now = now
            self.calendar = calendar
            self.date = DatePhrase.find(in: u.lower, now: now, calendar: calendar)
        }

        func has(_ phrase: String) -> Bool { Utterance.contains(w, phrase) }
        func hasAny(_ phrases: [String]) -> Bool { phrases.contains { has($0) } }
        func index(_ phrase: String) -> Int? { Utterance.find(w, phrase) }
        func firstIndex(_ phrases: [String]) -> Int? { phrases.compactMap { index($0) }.min() }

        /// Whether a word could name a task: neither a cue, glue nor filler.
        static func isContent(_ word: String) -> Bool { !BuiltinModel.functionWords.contains(word) && !BuiltinModel.filler.contains(word) }

        /// Whether the first clause names something ("the invoice task, call it 'X'").
        var firstClauseNamesATask: Bool { u.clause(0).contains { Self.isContent(w[$0]) } }

        /// The first word after greetings and glue ("morning! what's due?" → "what").
        var leadWord: String? { w.first { !Self.leadFiller.contains($0) } }

        /// The words with leading filler skipped.
        var core: [String] { w.filter { !BuiltinModel.filler.contains($0) && $0 != ":" } }

        func intent() -> Intent {
            if w.isEmpty { return .help }
            let core = self.core
            if core.isEmpty {
                if w.contains(where: { ["hi", "hello", "hey"].contains($0) }) { return .greeting }
                if w.contains(where: { ["thanks", "thank", "thx", "cheers", "bye", "goodbye", "cya"].contains($0) }) { return .thanks }
                return .dismiss
            }
            // "nvm, I don't need the dentist task anymore, delete it": a change of mind that goes on to ask for something.
            if let k = index("never mind"), w[..<k].allSatisfy({ Self.leadFiller.contains($0) }), k + 2 < w.count,
               w[(k + 2)...].contains(where: { Self.commandVerbs.contains($0) }), let rest = Utterance(u.span(k + 2, w.count - 1)) {
                return Reader(u: rest, now: now, calendar: calendar).intent()
            }
            if hasAny(["never mind", "nevermind", "forget it", "leave it", "no thanks", "cancel that", "do not bother", "don't bother", "leave them",
                       "that is all", "that will be all", "that is it", "all good", "nothing else"]) && !w.contains(where: { Self.commandVerbs.contains($0) })
                // "dentist appointment is done, all good": a completion that says all is well.
                && !(w.count > 4 && w.contains(where: { BuiltinModel.doneWords.contains($0) })) {
                return .dismiss
            }
            // "cheers mate", "thank you so much, that's perfect": thanks, not a request.
            // ("thx. also i bought the milk": thanks, then something else.)
            if let first = w.first, ["thanks", "thank", "cheers", "ta", "appreciated", "appreciate", "awesome", "brilliant", "perfect", "great", "lovely"].contains(first),
               !hasAny(["also", "btw", "by the way", "oh and"]),
               !w.contains(where: { Self.commandVerbs.contains($0) || Self.taskMarkers.contains($0) }), date.isEmpty { return .thanks }
            // "Thank you very much for your help with my list today; I shall return tomorrow."
            if w.first == "thank" || w.first == "thanks", hasAny(["for your help", "for the help", "for helping"]), !u.text.contains("?"),
               !w.contains(where: { Self.commandVerbs.contains($0) }) { return .thanks }
            if core == ["help"] || hasAny(["what can you do", "what do you do", "how does this work", "who are you", "what are you"]) { return .help }
            // "bye for now", "goodbye then".
            if let bye = w.first(where: { !Self.leadFiller.contains($0) && !["thanks", "thank", "cheers", "ok", "cool", "great", "alright", "okay", "perfect", "nice"].contains($0) }),
               ["bye", "goodbye", "cya", "byebye", "goodnight", "night", "gn"].contains(bye), date.isEmpty,
               !w.contains(where: { Self.commandVerbs.contains($0) || Self.taskMarkers.contains($0) }) {
                return .thanks
            }
            // "my tasks pls", "my task list".
            if core == ["my", "tasks"] || core == ["my", "task"] || core == ["my", "task", "list"] || core == ["my", "list"] { return .list(filter()) }
            // "hiya, how are you?"
            if hasAny(["how are you", "how is it going", "how are things", "what is up", "how is your day", "how you doing"]) || core == ["sup"], !w.contains(where: { Self.commandVerbs.contains($0) || Self.taskMarkers.contains($0) }) {
                return .greeting
            }
            if ["good morning", "good evening", "good afternoon"].contains(core.joined(separator: " ")) || core == ["morning"] { return .greeting }
            // "hi there", "hello again", "hey stoa".
            // "hola", "bonjour!", "guten tag", "ciao 👋".
            if w.count <= 2, ["hola", "bonjour", "ciao", "salut", "hallo", "hej", "ola", "namaste", "konnichiwa", "servus", "moin", "aloha", "shalom", "salaam"].contains(w[0])
                || core == ["guten", "tag"] || core == ["buenos", "dias"] || core == ["buongiorno"] { return .greeting }
            if let first = w.first, ["hi", "hello", "hey", "hiya", "howdy", "yo"].contains(first), w.count <= 3,
               w.dropFirst().allSatisfy({ ["there", "again", "everyone", "all", "friend", "buddy", "mate", "stoa", "assistant", "you"].contains($0) }) {
                return .greeting
            }
            if isChitChat(early: true) { return .smallTalk }
            // "milk is like 5 bucks now, insane", "insurance companies are such a scam": a remark that asks nothing.
            if !u.text.contains("?"), let first = leadWord, !Self.questionStarters.contains(first), !["tell", "explain", "describe"].contains(first),
               date.isEmpty, !w.contains(where: { BuiltinModel.cueWords.contains($0) || BuiltinModel.doneWords.contains($0) || BuiltinModel.openWords.contains($0) }),
               !w.contains(where: { Int($0) != nil || BuiltinModel.ordinal($0) != nil }) && !hasAny(["sorted", "taken care", "dealt with"]),
               isChitChat(early: false), case .none = labelled(), case .none = complete() { return .smallTalk }
            // "in line at the bank, whats on my todo list": a scene, then the question.
            if u.clauseCount == 2, !u.clause(0).contains(where: { Self.commandVerbs.contains(w[$0]) || Self.taskMarkers.contains(w[$0]) || Self.questionStarters.contains(w[$0]) }),
               u.clause(1).contains(where: { ["list", "tasks", "todo", "todos"].contains(w[$0]) }),
               let from = u.clause(1).first, let to = u.clause(1).last, let last = Utterance(u.span(from, to)),
               case .list(let f) = Reader(u: last, now: now, calendar: calendar).intent() { return .list(f) }
            // ("can you jot down on the lisbon task: refund pending": a note, though "refund" is a policy word.)
            if isDocumentQuestion(core), case .none = jotDown() { return .unknown }
            if let many = severalRequests() { return many }
            // "who do i still need to call": the list (a document question was answered above).
            if leadWord == "who" { return .list(filter()) }
            // "how many things r still open": a count is a list.
            if leadWord == "how", let k = w.firstIndex(of: "how"), k + 1 < w.count, w[k + 1] == "many" { return .list(filter()) }
            // Cues from the most telling to the most general.
            let readers: [(Reader) -> () -> Intent?] = [
                Reader.undo, Reader.jotDown, Reader.listByVerb, Reader.note, Reader.rename, Reader.reopen, Reader.addOrNote, Reader.delete, Reader.due,
                Reader.question, Reader.complete, Reader.details, Reader.labelled, Reader.fragment,
            ]
            for read in readers {
                guard let intent = read(self)() else { continue }
                // "stuff i havent finished yet", "due this week? quick check", "list every task, finished or not":
                // a status or a date word with no task named is a question about the list.
                if case .act(let action, .none) = intent, !action.writesText, asksAboutTheList { return .list(filter()) }
                return intent
            }
            return isChitChat(early: false) ? .smallTalk : .unknown
        }

        /// Whether the message is shaped like a question about the list: a list verb or a question
        /// word first, a "?", or a noun for tasks in general ("stuff", "things", "everything").
        var asksAboutTheList: Bool {
            guard let first = leadWord else { return false }
            return ["list", "show", "what", "whats", "which", "stuff", "things", "anything", "everything", "any"].contains(first)
                || u.text.contains("?") && !w.contains(where: { ["mark", "set", "make", "move", "push", "delete", "remove", "complete", "finish"].contains($0) })
        }

        // MARK: - Small talk

        static let laughter: Set<String> = ["lol", "lool", "lmao", "lmfao", "haha", "hahaha", "hahah", "hehe", "rofl", "xd", "jk", "smh"]
        static let moodWords: Set<String> = ["ugh", "meh", "yay", "woohoo", "omg", "phew", "sigh", "argh", "aww", "oof", "yikes", "blah"]
        static let farewells = ["talk later", "talk soon", "talk to you later", "ttyl", "see you", "see ya", "catch you later", "gotta go",
                                "got to go", "speak soon", "later then", "have a good one", "have a nice day", "good night", "goodnight",
                                "talk tomorrow", "night night", "sleep well", "brb", "be right back", "gtg", "afk"]

        /// Chit-chat that asks for nothing: laughter, a mood, a farewell, a remark about the
        /// assistant or a feeling ("lol you're fast", "ugh I need a break", "I hate dentist
        /// appointments 😭"). `early` (before the task readers) only takes laughter and farewells
        /// ("the gym was packed today lol" is not a completion); later, with no request read,
        /// moods and feelings too. Never when the message asks something or names a request verb.
        func isChitChat(early: Bool) -> Bool {
            let laughs = w.contains(where: { Self.laughter.contains($0) })
            // "haha you're pretty smart for a todo app", "what's your favourite kind of milk haha": about the assistant.
            let aboutYou = w.contains { ["you", "your", "yours"].contains($0) } && !w.contains { ["my", "i", "me"].contains($0) }
            if w.contains(where: { Self.commandVerbs.contains($0) || ["remind", "due", "overdue", "deadline", "rid", "forget", "undo", "reopen"].contains($0) }) { return false }
            if !(laughs && aboutYou), w.contains(where: { ["task", "tasks", "list", "todo"].contains($0) }) { return false }
            let asks = u.text.hasSuffix("?") || leadWord.map { Self.questionStarters.contains($0) || ["tell", "explain", "describe", "when"].contains($0) } ?? false
            if hasAny(Self.farewells) && !asks { return true }
            if laughs && aboutYou { return true }
            if hasAny(["you are a", "your a", "you rock", "you are the best", "lifesaver", "you are awesome", "you are great", "good bot"]) { return true }
            // "ngl ur lowkey useful", "you're actually so helpful": praise for the assistant ("ur" reads as "your").
            let praise: Set<String> = ["useful", "helpful", "smart", "fast", "quick", "great", "amazing", "cool", "funny", "clever", "handy", "nice",
                                       "awesome", "brilliant", "legit", "goated", "good", "fire", "underrated"]
            if w.count <= 8, let k = w.firstIndex(where: { ["you", "your"].contains($0) }),
               w[(k + 1)...].drop(while: { ["are", "so", "really", "pretty", "actually", "kinda", "very", "quite", "super", "a", "lot", "is"].contains($0) }).first.map(praise.contains) == true {
                return true
            }
            if asks { return false }
            if laughs { return early ? !w.contains(where: { BuiltinModel.doneWords.contains($0) }) && !date.overdue : true }
            if early { return false }
            if let first = w.first, Self.moodWords.contains(first) { return true }
            // "you're pretty fast", "I hate dentist appointments so much", "I need a break", "I'm so tired".
            if let last = w.last, Self.moodWords.contains(last) { return true }
            // "taxes are so confusing", "my dentist is honestly the nicest guy": a remark, asking nothing.
            if w.contains(where: { ["is", "are", "was", "were", "would"].contains($0) }), w.contains(where: { ["so", "honestly", "really", "super", "too", "nicest", "worst", "best", "such", "insane", "crazy", "ridiculous"].contains($0) }),
               date.isEmpty { return true }
            // "just had the best coffee of my life", "its raining again here", "friday cant come soon enough".
            if hasAny(["best", "amazing", "awesome", "raining", "sunny", "weather", "all over the place", "soon enough", "cant wait", "can not wait",
                       "of course it is", "so tired", "long day", "crazy day", "busy day"]), !w.contains(where: { Self.documentNouns.contains($0) }) { return true }
            return hasAny(["you are", "i hate", "i love", "i am so", "i am tired", "i am bored", "i am exhausted", "i feel", "i need a break",
                           "i need coffee", "i need sleep", "keeps", "kept"])
        }

        /// "dentist's done, and push mom to next wed": clauses (or "and" before a verb) that each
        /// ask for a different change to a named task.
        func severalRequests() -> Intent? {
            var segments: [(Int, Int)] = []
            var start = 0
            for k in w.indices where k > start {
                let newClause = u.words[k].clause != u.words[k - 1].clause
                let andVerb = w[k - 1] == "and" && Self.commandVerbs.contains(w[k])
                if newClause || andVerb { segments.append((start, k - 1)); start = k }
            }
            segments.append((start, w.count - 1))
            guard segments.count >= 2, segments.count <= 4 else { return nil }
            var intents: [Intent] = []
            for (from, to) in segments {
                guard from <= to, w[from...to].contains(where: { BuiltinModel.cueWords.contains($0) }), let part = Utterance(u.span(from, to)) else { continue }
                let intent = Reader(u: part, now: now, calendar: calendar).intent()
                guard case .act(_, let target) = intent else { continue }
                switch target {
                case .words, .numbers: intents.append(intent)
                default: continue
                }
            }
            guard intents.count >= 2 else { return nil }
            let kinds = Set(intents.map { intent -> String in
                if case .act(let action, _) = intent { return "\(action)" }
                return ""
            })
            return kinds.count >= 2 ? .many(intents) : nil
        }

        // MARK: - Documents

        static let commandVerbs: Set<String> = ["add", "create", "remind", "delete", "remove", "mark", "complete", "finish", "rename", "move", "push",
                                                "postpone", "reschedule", "show", "list", "tick", "check", "reopen", "uncheck", "drop", "set",
                                                "change", "put", "note", "trash", "cancel", "update", "display", "give", "find", "search", "retitle", "prepone",
                                                "delay", "unmark", "untick", "complete", "erase", "scrap", "ditch", "cross"]

        static let questionStarters: Set<String> = ["how", "what", "why", "where", "who", "which", "can", "could", "does", "do", "is", "are", "should",
                                                    "will", "would", "whats"]
        /// The words that name a task's note ("gym membership note -> …").
        static let noteWords: Set<String> = ["note", "notes", "description", "desc"]

        static let technicalWords: Set<String> = [
            "api", "mcp", "token", "tokens", "jwt", "jwks", "oauth", "webhook", "webhooks", "csv", "export", "import", "endpoint", "endpoints",
            "shortcut", "shortcuts", "keyboard", "hotkey", "hotkeys",
            "server", "docker", "postgres", "postgresql", "sqlite", "neon", "smtp", "config", "configure", "configuration", "setting", "settings",
            "env", "install", "deploy", "stoa", "assistant", "openai", "gemini", "model", "models", "scope", "scopes", "script", "sync",
            "integration", "plugin", "widget", "browser", "account", "port", "https", "ssl", "tls", "nginx", "key", "keys", "signing", "cli",
            "docs", "documentation", "database", "backup", "migrate", "migration", "replica", "replicas", "metrics", "log", "logs", "app",
            "version", "upgrade", "license", "self-host", "hosting", "algorithm", "algorithms", "rate", "limit", "limits", "invite", "users",
            "release", "releases", "changelog", "roadmap", "pricing", "feature", "features", "policy", "policies", "wfh", "pto", "expense",
            "expenses", "refund", "refunds", "privacy", "subscription", "payroll", "benefits",
        ]

        /// Greetings and glue that may open a message ("morning! what's due?").
        static let leadFiller: Set<String> = ["hey", "hi", "hello", "hiya", "yo", "so", "and", "ok", "okay", "oh", "btw", "thanks", "thx", "um",
                                              "well", "then", "morning", "evening", "afternoon", "good", "also", "but", "quick", "question",
                                              "sorry", "please", "pls", "hmm", "alright", "right", "wait"]

        /// "what's due friday?", "anything overdue?", "do I have …": a question about the list.
        var isQuestionForm: Bool {
            let lead = w.drop { Self.leadFiller.contains($0) }
            guard let first = lead.first else { return false }
            if ["what", "which", "anything", "any", "when", "whats"].contains(first) { return true }
            if ["do", "is", "are", "have"].contains(first) { return !hasAny(["do not", "is not", "are not"]) }
            // "did I pay rent already or is that still open?"
            if first == "did", let second = lead.dropFirst().first, ["i", "we", "you"].contains(second) { return !w.contains(where: { Self.commandVerbs.contains($0) }) }
            return false
        }

        /// A question with no request verb: "stuff due before december?", "in december, what's due?",
        /// "the invoice - is it still pending?". Such a message never changes a task.
        var isPlainQuestion: Bool {
            let imperative = w.contains { ["move", "push", "postpone", "reschedule", "set", "make", "change", "mark", "delete", "remove", "add",
                                           "reopen", "rename", "complete", "finish", "tick", "bump", "delay", "prepone", "update", "put", "give"].contains($0) }
            if imperative { return false }
            // "can the call wait till next week?", "could the tax forms be due on the 10th instead?": requests, politely.
            if let first = leadWord, ["can", "could", "would", "will", "may", "should", "please"].contains(first) {
                return false
            }
            if isQuestionForm || u.text.hasSuffix("?") { return true }
            return (0..<u.clauseCount).contains { clause in
                u.clause(clause).first.map { ["what", "whats", "which", "when", "anything"].contains(w[$0]) } ?? false
            }
        }

        static let taskMarkers: Set<String> = ["task", "tasks", "todo", "todos", "list", "plate", "due", "overdue", "left", "pending",
                                               "finished", "done", "completed", "remaining", "outstanding", "open", "agenda", "note", "notes",
                                               "description", "deadline", "deadlines", "reminder", "reminders", "upcoming", "checked", "ticked",
                                               "complete", "unfinished", "incomplete", "items"]

        /// Where the user says to look: "search my documents for …", "… in the docs".
        static let documentNouns: Set<String> = ["docs", "doc", "documents", "document", "documentation", "handbook", "wiki", "manual", "knowledge",
                                                  "guide", "pdf", "minutes"]
        /// Past participles of errands: "is the rent paid?", "are the flights booked?" ask about a task.
        static let errandStates: Set<String> = ["paid", "sent", "booked", "renewed", "bought", "submitted", "filed", "scheduled", "sorted", "fixed",
                                                "cancelled", "canceled", "called", "cleaned", "returned", "picked", "handled", "taken", "mailed", "posted"]

        /// "how do I configure SMTP?", "does stoa work with postgres": questions the documents answer.
        func isDocumentQuestion(_ core: [String]) -> Bool {
            let lead = w.drop { Self.leadFiller.contains($0) }
            guard let first = lead.first else { return false }
            // "search my documents for the refund policy", "find the section on retention in the docs".
            if w.contains(where: { Self.documentNouns.contains($0) }),
               !w.contains(where: { ["task", "tasks", "todo", "todos", "reminder", "reminders", "note"].contains($0) }),
               !["add", "remind", "put", "create", "delete", "remove", "mark", "rename", "move", "push", "complete", "tick"].contains(first) {
                return true
            }
            let second = lead.dropFirst().first ?? ""
            let generic: Set<String> = ["title", "titles", "api", "tool", "tools", "limit", "length", "field", "fields", "endpoint", "model", "server", "id"]
            let personal = w.indices.contains { k in
                guard Self.taskMarkers.contains(w[k]) else { return false }
                // "is there a task about the invoice": one of the user's; "a task title", "each task": tasks in general.
                if ["task", "tasks"].contains(w[k]), k + 1 < w.count, ["about", "called", "named", "for", "regarding", "mentioning", "titled"].contains(w[k + 1]) { return true }
                if ["task", "tasks"].contains(w[k]), k > 0 && ["a", "an", "per", "each"].contains(w[k - 1]) || k + 1 < w.count && generic.contains(w[k + 1]) { return false }
                return true
            } || has("do i") || has("did i") || has("have i") || has("what is on") || w.contains("ones")
                || w.contains { ["mention", "mentions", "mentioning"].contains($0) } && !w.contains(where: Self.documentNouns.contains)
                || hasAny(["anything about", "anything on", "anything for", "anything with", "anything regarding"])
                || ["is", "are", "has", "have"].contains(first) && w.contains { Self.errandStates.contains($0) }
                || has("i need") || has("i have") || has("i had to") || has("i was supposed") || has("coming up") || !date.isEmpty
                || hasAny(["still on", "on my list", "on the list", "i promised", "i said i would", "still to do", "i must do", "must i do", "left to do",
                           "still need to do", "i have to do", "do i have to do"])
                || w.indices.contains { $0 + 1 < w.count && w[$0] == "number" && Int(w[$0 + 1]) != nil }
                || w.count <= 4 && w.contains(where: { Int($0).map { (1...99).contains($0) } ?? false }) && !w.contains(where: Self.technicalWords.contains)
                // "whats the acme thing again", "hows the tax thing looking": a task by a word of it.
                || w.indices.contains { $0 >= 2 && ["thing", "one"].contains(w[$0]) && ["the", "that"].contains(w[$0 - 2]) && Self.isContent(w[$0 - 1]) && !Self.technicalWords.contains(w[$0 - 1]) }
                // "tax stuff - whats on there", "any car stuff left?".
                || w.indices.contains { $0 >= 1 && w[$0] == "stuff" && Self.isContent(w[$0 - 1]) && !Self.technicalWords.contains(w[$0 - 1]) }
                || hasAny(["on there", "let me know if there", "let me know if i have"])
                || w.indices.contains { $0 > 0 && w[$0 - 1] == "the" && BuiltinModel.ordinal(w[$0]) != nil }
                || hasAny(["am i meant to", "am i supposed to", "was i supposed to", "was i meant to", "supposed to do", "should i be doing", "i must do", "must i do", "happening with", "going on with",
                           "the status of", "status on", "the status with"])
                || w.contains { $0.hasPrefix("#") && $0.count > 1 && $0.dropFirst().allSatisfy(\.isNumber) }
            // Words about Stoa itself (setup, API, models): a question with them is for the documents.
            let technical = w.contains { Self.technicalWords.contains($0) }
            let asksAboutStoa = technical && (Self.questionStarters.contains(first) || u.text.hasSuffix("?"))
            if asksAboutStoa && !w.prefix(2).contains(where: { ["add", "remind", "delete", "remove", "mark", "rename", "move"].contains($0) }) { return true }
            // "does the lease say anything about late rent?", "according to the handbook, …": what a document says.
            let asksWhatItSays = ["does", "do", "did"].contains(first) || first == "what" && ["does", "did", "do"].contains(second)
            let subject = first == "what" ? lead.dropFirst(2).first ?? "" : second
            let documentWords: Set<String> = ["lease", "contract", "policy", "handbook", "guide", "doc", "document", "manual", "agreement", "terms"]
            if asksWhatItSays, ["the", "our", "your", "my"].contains(subject) || has("meeting notes") || subject == "it" && w.contains(where: documentWords.contains),
               w.contains(where: { ["say", "says", "mention", "mentions", "state", "cover", "covers"].contains($0) }),
               !w.contains(where: { ["task", "tasks", "todo", "todos", "description", "list"].contains($0) }),
               !w.contains(where: { ["note", "notes"].contains($0) }) || has("meeting notes") {
                return true
            }
            if has("according to") { return true }
            // "is it possible to set up recurring tasks?", "is there a way to …", "where do I find …": how the product works.
            if hasAny(["is it possible", "is there a way", "where do i find", "where can i find", "how can i", "how do i"]) { return true }
            // "where are we on the invoice", "gym membership — what's the status": about a task.
            if hasAny(["where are we on", "where are we with", "where do we stand", "what is the status", "whats the status", "status of"]) { return false }
            // "what happens to completed tasks after a while?": how the product behaves.
            if has("what happens"), !w.contains(where: { ["my", "i", "mine"].contains($0) }) { return true }
            switch first {
            case "how":
                // "how many tasks do I have" is about the list; "how many days are in december" is not.
                if second == "many" { return !w.indices.contains { Self.taskMarkers.contains(w[$0]) } && !hasAny(["do i", "did i", "have i", "i have", "i need"]) }
                // "hows the tax thing looking", "how are my calls going": about the list.
                return !(personal && ["is", "are"].contains(second) && !technical)
            // "who do i still need to call", "who have i not called yet": about the list.
            case "who": return !(hasAny(["do i still", "i still need", "do i need to", "do i have to", "have i not", "i have not", "i still have to"]))
            case "why", "where", "explain", "tell", "describe": return true
            case "what":
                if lead.prefix(4).contains(where: { ["does", "do"].contains($0) }) && !has("do i") && !has("did i")
                    && !w.contains(where: { ["note", "notes", "description"].contains($0) }) { return true }
                return !personal
            case "can", "could", "would", "will":
                if second == "i" || second == "we" {
                    // "can I see my list?" asks for the list; "can I share my list with my wife?" asks how.
                    let verb = lead.dropFirst(2).first ?? ""
                    return date.isEmpty && !["see", "show", "list", "view", "check"].contains(verb)
                        && !w.contains(where: { ["add", "remind", "delete", "remove", "mark", "rename", "move"].contains($0) })
                }
                if w.contains(where: { Self.commandVerbs.contains($0) || ["moved", "done", "finished", "deleted", "removed", "pushed", "wait", "uncomplete", "unfinish",
                                                            "uncheck", "untick", "unmark", "reopen", "undo", "jot", "note"].contains($0) }) { return false }
                return !personal
            case "do":
                return ["you", "stoa", "we"].contains(second) && !personal
            case "is", "are":
                if second == "there", lead.dropFirst(2).first.map({ ["a", "an", "any", "some"].contains($0) }) == true,
                   !lead.dropFirst(3).prefix(3).contains(where: { ["task", "tasks", "todo", "todos", "reminder"].contains($0) }) { return !w.contains("my") }
                return !personal && !has("is anything") && second != "not"
            case "does", "which", "should":
                return !personal && !has("do i have") && second != "not"
            default: return false
            }
        }

        // MARK: - Intents

        func undo() -> Intent? {
            guard w.contains("undo") else { return nil }
            let target = self.target(excluding: [])
            if case .words = target { return .act(.reopen, target) }
            if case .numbers = target { return .act(.reopen, target) }
            // "undo the completed one": the done tasks are the candidates.
            if case .described(let descriptor) = target, descriptor.status == "done" { return .act(.reopen, target) }
            // "I accidentally marked rent as done, can you undo that?"
            if case .pronoun(let named) = target, !named.isEmpty,
               w.contains(where: { ["marked", "done", "completed", "finished", "ticked", "checked", "check", "tick", "mark", "complete", "cross"].contains($0) })
                || hasAny(["did not", "not actually", "have not", "not yet"]) {
                return .act(.reopen, target)
            }
            if hasAny(["undo completing", "undo finishing", "undo marking"]) { return .act(.reopen, target) }
            return .undo
        }

        /// Notes and descriptions: "add a note to the dentist: bring the card", "set its note to:
        /// …", "gym membership description should be '…'", "remove the description from …".
        func note() -> Intent? {
            // "dentist — fyi bring the insurance card", "the 3rd — fyi bring x-rays": the note after "fyi".
            // "dentist — add that i need to bring the insurance card": the same, with "add that".
            if let add = index("add that"), add >= 1, add + 2 < w.count, isDashBefore(add) || w[add - 1] == ":",
               w[..<add].contains(where: Self.isContent) {
                return .act(.update(TaskChange(description: .some(u.rest(after: add + 1)))), target(excluding: Set(add..<w.count)))
            }
            if let fyi = w.firstIndex(of: "fyi"), fyi >= 1, fyi + 1 < w.count, isDashBefore(fyi) || w[fyi - 1] == ":" || u.words[fyi].clause != u.words[fyi - 1].clause,
               w[..<fyi].contains(where: { Self.isContent($0) || BuiltinModel.ordinal($0) != nil || Int($0) != nil }) {
                return .act(.update(TaskChange(description: .some(u.rest(after: fyi)))), target(excluding: Set(fyi..<w.count)))
            }
            guard let noteIndex = w.firstIndex(where: { ["note", "notes", "description", "details", "desc", "comment", "context"].contains($0) }),
                  !hasAny(["note down", "note that i", "jot down", "write down", "make a note to", "note to self"]) else { return nil }
            // "add a task 'X' with the note: Y" is an add with a note.
            if let addIndex = firstIndex(["add", "create", "new task", "new todo", "put", "stick", "remind me"]), addIndex < noteIndex,
               !w[(addIndex + 1)...].drop(while: { ["a", "the", "this", "another", "me"].contains($0) }).prefix(1)
                   .contains(where: { ["note", "notes", "comment", "details", "description", "desc", "context"].contains($0) }),
               !hasAny(["as the note", "as a note", "as note", "as its note", "as the description", "as the desc", "as the details", "in the note",
                        "in the description", "into the note", "into the description", "in its note", "in the notes"]) {
                return nil
            }
            if isQuestionForm || u.text.hasSuffix("?"), !w.contains(":"), u.quotes.isEmpty { return nil }
            // "remove the one with a description": the note names the task, it is not the change.
            if descriptor?.hasNote == true, !w.contains(":"), u.quotes.isEmpty { return nil }
            let clearing = w[..<noteIndex].contains { ["remove", "wipe", "clear", "delete", "drop", "erase", "empty"].contains($0) }
            if clearing { return .act(.update(TaskChange(description: .some(nil))), target(excluding: [])) }
            // The note's text: quoted, or after a colon, "to", "be", "say(ing)" or "that" following the cue.
            var text: String?
            var excluded: Set<Int> = []
            if let quote = u.words.firstIndex(where: { $0.quote != nil }),
               quote > noteIndex || hasAny(["as the note", "as a note", "as note", "as its note", "as the description", "as the desc", "in the note",
                                            "in the description", "into the note", "into the description", "in its note", "in the notes"]) {
                // "add a note to X: 'Y'", "put 'Y' as the note for X"
                text = u.quotes[u.words[quote].quote ?? 0]
                excluded.insert(quote)
                // `… saying "bring x-rays"`: the cue before the quote is not part of the title.
                var k = quote - 1
                while k > noteIndex, ["saying", "says", "say", "that", "which", "reading", ":"].contains(w[k]) { excluded.insert(k); k -= 1 }
            } else if let colon = w[noteIndex...].firstIndex(of: ":") ?? w.firstIndex(of: ":") {
                text = u.rest(after: colon)
                excluded.formUnion(colon..<w.count)
            } else if let k = w.indices.first(where: { $0 > noteIndex && isDashBefore($0) }) {
                // "add a note on call mom — ask about thanksgiving plans"
                text = u.rest(after: k - 1)
                excluded.formUnion(k..<w.count)
            } else if let k = w[(noteIndex + 1)...].firstIndex(where: { ["saying", "says", "reading"].contains($0) })
                        ?? w[(noteIndex + 1)...].firstIndex(where: { ["to", "be", "saying", "says", "say", "that", "reading"].contains($0) }) {
                // "add a note to the acme invoice saying 1200 EUR": "saying" starts the note, "to" names the task.
                // ("… saying that her birthday is on the 30th": "that" introduces it.)
                let start = ["saying", "says", "reading"].contains(w[k]) && k + 2 < w.count && w[k + 1] == "that" && u.words[k + 1].quote == nil ? k + 1 : k
                text = u.rest(after: start)
                excluded.formUnion(k..<w.count)
            }
            // "on buy milk pls write 2 liters as the note": the words between the verb and "as the note".
            if text == nil, let asAt = firstIndex(["as the note", "as a note", "as note", "as its note", "as the description"]),
               let verb = w[..<asAt].lastIndex(where: { ["write", "put", "add", "set", "make"].contains($0) }), verb + 1 < asAt {
                text = u.span(verb + 1, asAt - 1)
                excluded.formUnion(verb..<w.count)
            }
            // "call mom, add a note ask about christmas plans": the task is named in an earlier clause
            // and the note's words follow the cue in its own.
            // "for call dad add the note ask about the garage": the same, the task before the cue.
            let addCue = firstIndex(["add", "put", "attach", "set", "write"]).flatMap { $0 < noteIndex && noteIndex - $0 <= 3 ? $0 : nil }
            let cueStart = addCue ?? noteIndex
            let namedBefore = addCue != nil && (u.words[noteIndex].clause > 0 ? firstClauseNamesATask : w[..<cueStart].contains(where: Self.isContent))
            if text == nil, noteIndex + 1 < w.count, u.words[noteIndex + 1].clause == u.words[noteIndex].clause, namedBefore {
                text = u.rest(after: noteIndex)
                excluded.formUnion(noteIndex..<w.count)
            }
            guard var text, !text.isEmpty else { return nil }
            // "invoice to acme: add note cc ap@…", "update the insurance note to say …": the cue words are not the note.
            for lead in ["add a note ", "add note ", "add the note ", "note: ", "say ", "saying ", "read ", "reads "] where text.lowercased().hasPrefix(lead) {
                text = String(text.dropFirst(lead.count))
            }
            guard !text.isEmpty else { return nil }
            return .act(.update(TaskChange(description: .some(text))), target(excluding: excluded))
        }

        /// "rename X to Y", "change the title of X to 'Y'", "X should say 'Y'", "9 should be
        /// called Y", "call the insurance task 'Y' instead".
        func rename() -> Intent? {
            // ("gym membership note -> check the student discount": a note, see `labelled`.)
            if let arrow = w.firstIndex(of: "→"), arrow > 0, Self.noteWords.contains(w[arrow - 1]) { return nil }
            var cue = firstIndex(["rename", "retitle", "title of", "the title", "should say", "should read", "should be called", "be called",
                                  "should be named", "be renamed", "be named", "name of", "the name", "change the wording", "reword", "new name", "new title"])
            if cue == nil, let should = index("should be"), date.isEmpty, !w.contains(where: { ["done", "finished", "deleted", "removed", "open"].contains($0) }) {
                cue = should
            }
            if cue == nil, let arrow = w.firstIndex(of: "→"), arrow > 0, arrow + 1 < w.count, !date.indices.contains(arrow + 1),
               !((arrow + 1)..<w.count).allSatisfy({ date.indices.contains($0) || ["the", "on", "to", "due", "by", "please", "pls", "now"].contains(w[$0])
                   || BuiltinModel.filler.contains(w[$0]) }) { cue = arrow }
            if cue == nil, let change = firstIndex(["change", "update", "edit", "fix"]), let to = w[change...].firstIndex(where: { ["to", "into"].contains($0) }),
               date.indices.isDisjoint(with: to..<w.count),
               !w.contains(where: { ["note", "description", "details", "deadline", "due", "date", "time"].contains($0) }) {
                cue = change
            }
            let callQuote = (w.first == "call" || has("can you call") || has("could you call")) && u.quotes.count == 1 && hasAny(["instead", "task"])
            if cue == nil, !callQuote, let call = firstIndex(["call it", "name it", "call that", "title it", "make it say", "make it read"]),
               call + 2 < w.count, date.isEmpty {
                let title = BuiltinModel.cleanTitle(u.rest(after: call + 1))
                // "the invoice task, call it 'X'": the task is named in the clause before.
                if !title.isEmpty, u.words[call].clause > 0, firstClauseNamesATask {
                    return .act(.update(TaskChange(title: title)), target(excluding: Set(call..<w.count)))
                }
                if !title.isEmpty { return .act(.update(TaskChange(title: title)), .pronoun([])) }
            }
            // "call dad → call dad about thanksgiving, pls rename": the verb last, the arrow says where the new title starts.
            if let c = cue, let arrow = w.firstIndex(of: "→"), arrow < c, w[(c + 1)...].allSatisfy({ BuiltinModel.filler.contains($0) || $0 == "it" }) { cue = arrow }
            guard cue != nil || callQuote else { return nil }
            var newTitle: String?
            var excluded: Set<Int> = []
            let quoteIndices = u.words.indices.filter { u.words[$0].quote != nil }
            if quoteIndices.count == 2, w[quoteIndices[0]..<quoteIndices[1]].contains(where: { ["to", "into", "as", "→"].contains($0) }),
               let new = u.words[quoteIndices[1]].quote, let old = u.words[quoteIndices[0]].quote, cue != nil {
                // "change the name of 'gym membership' to 'cancel gym membership'"
                return .act(.update(TaskChange(title: BuiltinModel.cleanTitle(u.quotes[new]))), .words(TaskMatcher.words(u.quotes[old])))
            }
            if let quote = quoteIndices.last, cue.map({ quote > $0 }) ?? true || quoteIndices.count == 1 {
                newTitle = u.quotes[u.words[quote].quote ?? 0]
                excluded.insert(quote)
            } else if let cue {
                let separators: Set<String> = ["to", "say", "called", "named", "read", "as", "into", "be", "→"]
                var after = w[cue...].firstIndex { separators.contains($0) }
                // "rename send the invoice to acme to send invoice #2231 to acme": when the old title
                // has a "to" of its own, the split is the "to" before the new title's first word, if
                // it repeats the old one's.
                if let first = after, w[first] == "to", cue + 1 < w.count,
                   let again = w.indices.first(where: { $0 > first && w[$0] == "to" && $0 + 1 < w.count && w[$0 + 1] == w[cue + 1] }) {
                    after = again
                }
                while let a = after, a + 1 < w.count, separators.contains(w[a + 1]) { after = a + 1 }
                if let after {
                    newTitle = u.rest(after: after)
                    excluded.formUnion(after..<w.count)
                } else if cue + 1 < w.count, BuiltinModel.pronouns.contains(w[cue + 1]) || Int(w[cue + 1]) != nil || BuiltinModel.ordinal(w[cue + 1]) != nil {
                    var k = cue + 1
                    if k + 1 < w.count, w[k + 1] == "one" { k += 1 }
                    newTitle = u.rest(after: k)
                    excluded.formUnion((k + 1)..<w.count)
                }
            }
            // "… should be called dentist cleaning instead": "instead" is not part of the name.
            // "… → call dad about thanksgiving, pls rename": a last clause of only the request is not part of it either.
            let said = newTitle.map { raw -> String in
                var text = raw
                if let comma = text.lastIndex(of: ","),
                   text[text.index(after: comma)...].split(separator: " ").allSatisfy({ ["pls", "please", "rename", "it", "thanks", "thx", "ty", "fix", "the", "title",
                                                                                          "name", "change", "update"].contains($0.lowercased()) }) {
                    text = String(text[..<comma])
                }
                // "… to Cancel gym membership, im quitting": a reason after a comma is not part of the name.
                if let comma = text.lastIndex(of: ","), let first = text[text.index(after: comma)...].split(separator: " ").first,
                   ["im", "i'm", "because", "since", "cuz", "they", "theyre", "she", "he", "its", "it's", "as", "typo", "wrong", "oops", "sorry", "mistake", "switching", "changed", "lol"].contains(first.lowercased()) {
                    text = String(text[..<comma])
                }
                // "tax forms -> file 2025 taxes (rename pls)": an aside in brackets at the end.
                if let paren = text.lastIndex(of: "("), paren > text.startIndex,
                   text[paren...].lowercased().split(separator: " ").contains(where: { ["rename", "rename)", "pls", "pls)", "please", "please)", "thanks", "thanks)"].contains(String($0)) }) {
                    text = String(text[..<paren])
                }
                return text.lowercased().hasSuffix(" instead") ? String(text.dropLast(" instead".count)) : text
            }
            guard let title = said.map(BuiltinModel.cleanTitle), !title.isEmpty else { return nil }
            if callQuote, let call = w.firstIndex(of: "call") { excluded.insert(call) }
            if let cue, cue + 1 < w.count, w[cue] == "should" { excluded.insert(cue + 1) }
            return .act(.update(TaskChange(title: title)), target(excluding: excluded))
        }

        /// "reopen", "un-finish", "uncheck", "X is NOT done", "isn't paid", "back on my list",
        /// "mark it open again".
        func reopen() -> Intent? {
            // "what haven't I done yet": a question about the list.
            // "stuff I haven't finished yet": no task named, so also a question about the list.
            if let first = leadWord, ["what", "whats", "which", "stuff", "things", "tasks", "anything", "everything", "items"].contains(first),
               !w.contains("reopen") { return nil }
            let verbs = ["reopen", "unfinish", "uncheck", "untick", "unmark", "uncomplete", "re-open"]
            var cue = w.contains { verbs.contains($0) }
            if !cue, let not = w.firstIndex(of: "not"), !hasAny(["do not let", "do not forget", "do not need", "not need", "not forget"]) {
                let after = w[(not + 1)...].prefix(4)
                cue = after.contains { BuiltinModel.doneWords.contains($0) || ["paid", "booked", "sent", "bought", "called", "renewed", "fixed"].contains($0) }
            }
            if !cue, !isPlainQuestion, hasAny(["still need", "still needs", "still has to", "still have to", "still pending", "still open", "still outstanding"]) { cue = true }
            let deleting = hasAny(["get rid of", "delete", "remove", "drop", "trash", "bin", "scrap", "ditch", "cancel"])
            if !cue, !deleting { cue = hasAny(["be undone", "be reopened", "redo", "redoing", "redone", "fell through", "got cancelled", "was cancelled", "did not happen", "not happening",
                                    "open again", "back on", "back to open", "bring back", "as open", "it open", "mark open", "as undone", "as incomplete", "as not", "did not", "have not", "has not", "not yet", "not actually"]) }
            if !cue, w.contains(where: { ["mark", "set", "make", "put"].contains($0) }), w.contains(where: { ["open", "incomplete", "undone", "unfinished", "pending", "todo"].contains($0) }) { cue = true }
            // "i marked rent done by accident", "ticked the dentist off by mistake".
            if !cue, hasAny(["by accident", "by mistake", "accidentally"]), w.contains(where: { BuiltinModel.doneWords.contains($0) || ["marked", "ticked", "checked", "crossed", "completed"].contains($0) }) { cue = true }
            // "please open the first one again".
            if !cue, w.contains("open"), w.last(where: { !BuiltinModel.filler.contains($0) || $0 == "again" }) == "again" { cue = true }
            guard cue else { return nil }
            // "acme still hasnt gotten the invoice... make it due tmrw at noon": a new date, not a reopen.
            if !w.contains(where: { verbs.contains($0) }), !date.isEmpty, w.contains("due") || hasAny(["make it", "move it", "push it", "set it"]) { return nil }
            // "the open ones, what's not done yet": a question about open tasks, not a reopen.
            if hasAny(["what is not", "whats not", "which are not", "which is not"]) { return nil }
            if case .described(let described) = target(excluding: []), described.status == "open" { return nil }
            return .act(.reopen, target(excluding: []))
        }

        /// Explicit list verbs at the start: "show …", "list …", "search my tasks for …".
        func listByVerb() -> Intent? {
            let verbs: Set<String> = ["show", "list", "display", "see", "view", "give", "search", "find", "lookup", "look", "print", "pull", "gimme", "recap",
                                      "read"]
            // "remind me what I've got", "tell me what's left": a list, not a reminder to add.
            if hasAny(["remind me what", "remind me of what", "remind me whats", "tell me what", "remind me which", "meant to be doing", "supposed to be doing",
                       "should i be doing", "what should i do", "what do i have to do", "what must i do", "what i must do", "let us see the list",
                       "let us see my list", "let us see my tasks"]) { return .list(filter()) }
            // "when is the dentist due", "whens my dentist appointment": a question about the list.
            if let first = leadWord, first == "when" || first == "whens", !isDocumentQuestion(core),
               !w.contains(where: { Self.commandVerbs.contains($0) }) {
                // "whens the 7th due": the task of that number in the last list.
                if case .numbers = target(excluding: []) { return .details(target(excluding: [])) }
                return .list(filter())
            }
            // "dentist when", "tax forms due when?": a few words, then "when".
            if w.count <= 5, w.last == "when", w.dropLast().contains(where: Self.isContent), !w.contains(where: { Self.commandVerbs.contains($0) }) {
                return .list(filter())
            }
            // "my open calls", "my done stuff": a short noun phrase about the list.
            if core.first == "my", core.count <= 4, !core.contains(where: { Self.commandVerbs.contains($0) }), date.isEmpty || core.count <= 3 {
                return .list(filter())
            }
            // "narrow it to dentist stuff", "filter by tax": a list of what is named.
            if let first = leadWord, ["narrow", "filter"].contains(first), w.count <= 8,
               !w.contains(where: { Self.commandVerbs.contains($0) && !["list", "show", "filter"].contains($0) }) { return .list(filter()) }
            // "which tasks have notes?", "show the ones with a description".
            if let f = noteFilter { return .list(f) }
            // "open my task list", "open the list".
            if hasAny(["open my list", "open my task list", "open my tasks", "open the list", "open my todo", "open the task list", "open my to do"]) {
                return .list(filter())
            }
            let skip: Set<String> = ["can", "you", "could", "please", "pls", "only", "just", "let", "lets", "us", "to", "like", "want", "wanna", "love"]
            // "nothing else? ok, show everything": a later clause that starts with a list verb is read alone.
            if u.clauseCount > 1 {
                for clause in 1..<u.clauseCount {
                    let indices = u.clause(clause)
                    guard let lead = indices.first(where: { !BuiltinModel.filler.contains(w[$0]) && !skip.contains(w[$0]) }), verbs.contains(w[lead]),
                          let last = indices.last, let part = Utterance(u.span(lead, last)) else { continue }
                    let firstClauseHasVerb = u.clause(0).contains { Self.commandVerbs.contains(w[$0]) }
                    if !firstClauseHasVerb { return Reader(u: part, now: now, calendar: calendar).listByVerb() }
                }
            }
            var lead = w.drop { BuiltinModel.filler.contains($0) || skip.contains($0) }
            // "just the completed ones pls": "the" before a status word.
            if lead.first == "the", let next = lead.dropFirst().first, ["completed", "finished", "done", "open", "unfinished", "pending", "remaining"].contains(next),
               lead.dropFirst(2).first.map({ ["ones", "tasks", "items", "things", "stuff"].contains($0) }) == true { lead = lead.dropFirst() }
            guard let first = lead.first, date.shiftDays == nil, date.shiftMinutes == nil else { return nil }
            // "pull the dentist forward a day": a date change, not "pull up my list".
            if first == "pull", w.contains(where: { ["forward", "back", "earlier", "in"].contains($0) }) { return nil }
            // "full list pls, done ones too", "whole list": the list itself.
            if ["full", "whole", "entire", "complete"].contains(first), lead.dropFirst().first == "list",
               !w.contains(where: { Self.commandVerbs.contains($0) && !["list", "show"].contains($0) }) { return .list(filter()) }
            // "give buy milk a due date of saturday" gives a task something; "give me my list" lists.
            if first == "give", lead.dropFirst().first != "me" { return nil }
            let nouns: Set<String> = w.contains(":") ? [] : ["tasks", "todos", "todo", "list", "my"]
            let adjectives: Set<String> = ["pending", "open", "done", "finished", "completed", "remaining", "outstanding", "overdue", "everything",
                                           "all", "upcoming", "unfinished"]
            if adjectives.contains(first), !w.contains(where: { Self.commandVerbs.contains($0) && !["list", "show"].contains($0) }),
               lead.dropFirst().first.map({ ["tasks", "todos", "items", "ones", "stuff", "list", "please", "pls", "tasks?", "things", "to-dos",
                                             "mentioning", "with", "about", "due", "incl", "including", "done", "and", "too"].contains($0) }) ?? true,
               first != "done" || lead.count > 1 && ["tasks", "todos", "items", "ones", "list", "stuff"].contains(lead.dropFirst().first ?? "") {
                return .list(filter())
            }
            guard verbs.contains(first) || nouns.contains(first) && core.contains(where: { ["tasks", "todos", "todo", "list"].contains($0) }) && u.clauseCount <= 2
                    && !w.contains(where: { Self.commandVerbs.contains($0) && !["list", "show"].contains($0) }) else { return nil }
            if first == "list", lead.count > 1, !["my", "all", "the", "done", "open", "everything", "tasks", "todos", "finished", "completed", "what", "only", "just",
                                                 "me", "of", "everything", "stuff", "things", "overdue", "due", "today", "tomorrow", "this", "next", "pending",
                                                 "left", "remaining", "outstanding", "upcoming"].contains(lead.dropFirst().first ?? "") {
                // "list calls", "list invoices pls": a plural noun is what to list.
                let second = lead.dropFirst().first ?? ""
                if lead.count <= 3, second.count > 3, second.hasSuffix("s"), !second.hasSuffix("ss"), !w.contains(":"),
                   lead.dropFirst(2).allSatisfy({ BuiltinModel.filler.contains($0) || ["too", "only", "now"].contains($0) }) { return .list(filter()) }
                return nil
            }
            return .list(filter())
        }

        /// "add …", "remind me to …", "note down …", "put 'X' on my list", "don't let me forget …".
        func add() -> Intent? {
            let cues = ["add", "adding", "create", "new task", "new todo", "new reminder", "remind me to", "remind me", "note down", "jot down", "write down",
                        "do not let me forget to", "do not let me forget", "do not forget to", "do not forget", "i need to", "i have to", "i must", "i should",
                        "i gotta", "i want to", "i has to", "need to", "remember to", "note to self", "todo :", "new :", "new one :", "new item :", "task :", "reminder :",
                        "another one :", "and another one :", "another :", "one more :", "and another :", "set a reminder", "put", "stick",
                        "schedule a", "schedule an"]
            guard let (cueIndex, cueLength) = cues.lazy.compactMap({ cue in Utterance.find(self.w, cue).map { ($0, cue.split(separator: " ").count) } })
                .min(by: { $0.0 < $1.0 }) else { return nil }
            let cue = w[cueIndex]
            // "what did I write down for the car insurance one?": a question, not a new task.
            if let first = leadWord, ["what", "whats", "which", "where", "when", "did", "have"].contains(first),
               u.text.hasSuffix("?") || ["did", "have"].contains(first) || hasAny(["did i", "have i", "did we"]) { return nil }
            // "add two tasks: buy eggs, call the bank": several tasks after a count and a colon.
            if let many = severalAdds(after: cueIndex + cueLength) { return many }
            if (cue == "put" || cue == "stick") && !(has("on my list") || has("on the list") || has("on my todo") || has("on my to") || has("to my list") || u.quotes.count == 1) { return nil }
            if cue == "i" || cue == "need", cueIndex > 1 { return nil }
            // "anything I have to do this weekend?": a question about the list, not a new task.
            if ["i", "need"].contains(cue), isQuestionForm || ["what", "whats", "which", "anything", "when"].contains(w.first ?? "") { return nil }
            // "calls i need to make?": a question about the list.
            if ["i", "need"].contains(cue), cueIndex > 0, u.text.hasSuffix("?") { return nil }
            // "I'd like to add …", "we want to add …", "could you please add …" ask to add.
            let asking: Set<String> = ["to", "please", "like", "want", "wanna", "we", "would", "could", "can", "you", "i", "if", "maybe"]
            // Only the cue's own clause counts ("so my sister is visiting …, can you add a task 'X'").
            let cueClauseStart = u.clause(u.words[cueIndex].clause).first ?? 0
            if cue == "add", cueIndex > 2, !(cueIndex > 0 && w[cueIndex - 1] == ":") && w[cueClauseStart..<cueIndex].contains(where: { !BuiltinModel.filler.contains($0) && !asking.contains($0) }) {
                return nil
            }
            var start = cueIndex + cueLength
            // "add a new task to", "add task:", "create a todo called"
            while start < w.count, ["a", "an", "new", "task", "todo", "reminder", "item", "to", ":", "-", "called", "named", "titled", "that", "for", "me"].contains(w[start]) {
                if w[start] == "to" && !(start > 0 && ["task", "todo", "reminder", "add", "me"].contains(w[start - 1])) { break }
                if w[start] == "for" && !(start > 0 && w[start - 1] == "me") { break }
                start += 1
            }
            if start + 1 < w.count, ["remember", "remind"].contains(w[start]), ["to", "me"].contains(w[start + 1]) { start += 2 }
            if let colon = w[start..<min(w.count, start + 5)].firstIndex(of: ":"),
               w[start..<colon].allSatisfy({ ["a", "an", "new", "task", "todo", "to", "my", "list", "the", "reminder", "item", "please", "something", "this", "one", "tasks", "todos"].contains($0) }) {
                start = colon + 1
            }
            while start < w.count, date.indices.contains(start) || ["to", "about", ":", "-"].contains(w[start]) { start += 1 }
            guard start < w.count else { return .addWhat }
            // Note: "with the note: …", "note: …", "- …" after the title.
            var end = w.count - 1
            var description: String?
            if let noteAt = (start..<w.count).first(where: { k in
                (["note", "notes", "details", "description"].contains(w[k]) && (k + 1 < w.count && w[k + 1] == ":" || k > 0 && ["with", "the", "a"].contains(w[k - 1])))
            }) {
                var k = noteAt
                while k > start, ["with", "the", "a", "and"].contains(w[k - 1]) { k -= 1 }
                let from = noteAt + (noteAt + 1 < w.count && w[noteAt + 1] == ":" ? 1 : 0)
                if u.isAfterParenthesis(noteAt), let last = u.clause(u.words[noteAt].clause).last, last > from {
                    // "add book car service (note: brakes squeak) for monday": the note ends with the bracket.
                    description = u.span(from + 1, last)
                } else {
                    description = u.rest(after: from)
                }
                end = k - 1
            } else if let dash = (start..<w.count).first(where: { k in k > start && u.words[k].clause != u.words[k - 1].clause
                                                               && u.text.unicodeScalars.count > u.words[k].start && isDashBefore(k) }),
                      // "… - could you stick it on my list?": a request after the dash, not a note.
                      !w[dash...].prefix(3).contains(where: { ["could", "can", "would", "please", "add", "put", "stick"].contains($0) }) {
                description = u.rest(after: dash - 1)
                end = dash - 1
            }
            // "add water the plants, no date needed": a later clause that only says there is no date.
            if let clauseEnd = u.clause(u.words[start].clause).last, clauseEnd < end,
               Utterance(u.span(clauseEnd + 1, end)).map({ Reader(u: $0, now: now, calendar: calendar).saysNoDate }) == true {
                end = clauseEnd
            }
            // "put buy a birthday card for jen on my list, her bday is saturday": the place ends the title.
            if let place = firstIndex(["on my list", "to my list", "on the list", "onto my list", "on my todo", "to my todo"]), place > start, place <= end {
                end = place - 1
            }
            // "add laundry lol i have no clean socks": laughter ends the title.
            if let laugh = (start...max(start, end)).first(where: { $0 < w.count && Self.laughter.contains(w[$0]) }), laugh > start { end = min(end, laugh - 1) }
            // "i need to cancel netflix, can you add that to my list?": the title ends with its clause.
            if let clauseEnd = u.clause(u.words[start].clause).last, clauseEnd < end,
               ((clauseEnd + 1)...end).contains(where: { ["can", "could", "please", "add", "put", "thanks", "pls"].contains(w[$0]) }),
               !((clauseEnd + 1)...end).contains(where: { date.indices.contains($0) })
                || ["add", "put", "can", "could", "please"].contains(w[clauseEnd + 1]) && start <= clauseEnd && u.words[start].clause == 0 && cueIndex < clauseEnd {
                end = clauseEnd
            }
            // "with a note saying AA and AAA": the note is what it says.
            if let text = description, let lead = ["saying ", "that says ", "which says ", "says ", "reading ", "that reads "].first(where: { text.lowercased().hasPrefix($0) }) {
                description = String(text.dropFirst(lead.count))
            }
            // `with a note "after porting"`: the note without its quotes.
            description = description.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’").union(.whitespaces)) }
            var titleSource: String
            var dateIndices = date.indices
            if let quote = (start...max(start, end)).first(where: { $0 < w.count && u.words[$0].quote != nil }) {
                titleSource = u.quotes[u.words[quote].quote ?? 0]
            } else {
                // The title is the words from the cue to the end, less the date and the trailing "to my list".
                var last = end
                // "put book a haircut on my list for saturday": the date after the place goes first.
                // ("get the winter tires on, due dec 5": "on" that ends its clause belongs to the title.)
                func endsClause(_ k: Int) -> Bool { k + 1 < w.count && u.words[k + 1].clause != u.words[k].clause }
                while last > start, dateIndices.contains(last) || [",", "for", "on", "by", "due"].contains(w[last]) && !(w[last] == "on" && endsClause(last))
                        || BuiltinModel.filler.contains(w[last]) { last -= 1 }
                // "… to my list", "… on the to-do list", "… onto my todos": the list named as the place, not part of the title.
                var place = last
                while place > start, ["list", "todo", "todos", "to-do", "to-dos", "tasks", "task", "do", "my", "the", "-"].contains(w[place])
                        || w[place] == "to" && place + 1 < w.count && w[place + 1] == "do" { place -= 1 }
                if place < last, place > start, ["to", "on", "onto", "in", "into"].contains(w[place]), ["list", "todo", "todos", "to-dos", "tasks"].contains(w[last]) {
                    last = place - 1
                }
                while last >= start, dateIndices.contains(last) || [",", "on", "to", "the", "for", "please", "due", "by"].contains(w[last]) && !(w[last] == "on" && endsClause(last))
                    || BuiltinModel.filler.contains(w[last]) && last > start {
                    last -= 1
                }
                guard last >= start else { return .addWhat }   // ("can you add a task for me")
                // Words of the date inside the title ("call grandma on sunday"): cut at the first date word after the title starts.
                var continuation: String?
                if let firstDate = dateIndices.filter({ $0 > start && $0 <= last }).min() {
                    // "call the vet tmrw about Bella's shots": what follows the date continues the title.
                    var after = firstDate
                    while after <= last, dateIndices.contains(after) { after += 1 }
                    if after <= last, ["about", "regarding", "re", "for", "with", "to"].contains(w[after]),
                       !(after...last).contains(where: { dateIndices.contains($0) }) {
                        continuation = u.span(after, last)
                    }
                    var cut = firstDate - 1
                    while cut > start, ["on", "by", "due", "for", "at", "the", "in", "until", ","].contains(w[cut]) { cut -= 1 }
                    last = cut
                }
                titleSource = u.span(start, last) + (continuation.map { " " + $0 } ?? "")
                dateIndices = dateIndices.filter { $0 > last }
            }
            // "add a task called Buy gift for Anna and make it due on the 27th": the title stops before "and make it".
            for tail in [" and make it", " and set it", " and have it", " and put it", " and mark it"] {
                if let r = titleSource.range(of: tail, options: .caseInsensitive) { titleSource = String(titleSource[..<r.lowerBound]) }
            }
            let title = BuiltinModel.cleanTitle(titleSource)
            // "dentist is friday at 2:15pm, pls add the time to it": a change to a task, not a new one.
            if ["the time to it", "the time", "the date", "the date to it", "a time", "a date", "that"].contains(title.lowercased()) { return nil }
            guard !title.isEmpty, !["task", "a task", "todo", "it", "for me", "me", "one", "one for me", "something", "something for me"].contains(title.lowercased()) else { return .addWhat }
            // "add 'Buy batteries' and 'Fix the bike light'": one task per quote, joined by "and" or commas only.
            let quoteWords = (start..<w.count).filter { u.words[$0].quote != nil }
            if quoteWords.count >= 2, quoteWords.count <= 5, description == nil, date.isEmpty,
               (quoteWords.first!...quoteWords.last!).allSatisfy({ u.words[$0].quote != nil || ["and", "&", "plus", "also"].contains(w[$0]) }) {
                return .many(quoteWords.map { .add(NewTask(title: BuiltinModel.cleanTitle(u.quotes[u.words[$0].quote ?? 0]), description: nil, due: nil)) })
            }
            return .add(NewTask(title: title, description: description, due: date.due(now: now, calendar: calendar)))
        }

        /// "buy milk: remember to get oat", "call dad - remember to ask about the boat": a few words,
        /// a colon or dash, then "remember to …": a note when the words name one task (decided
        /// against the list), else the new task ``add()`` reads.
        func addOrNote() -> Intent? {
            guard let intent = add(), case .add(let task) = intent else { return add() }
            guard let cue = index("remember to"), cue >= 1, cue <= 5, w[cue - 1] == ":" || isDashBefore(cue), task.due == nil else { return intent }
            let named = w[..<cue].filter { Self.isContent($0) && $0 != "-" }
            guard !named.isEmpty, named.count <= 4, cue + 2 < w.count else { return intent }
            return .noteOrAdd(words: named, note: u.rest(after: cue + 1), task: task)
        }

        /// "add two tasks: buy eggs, call the bank", "add these: stamps and the package": a count (or
        /// "these", "the following") and a colon, then titles split at commas and "and".
        func severalAdds(after k: Int) -> Intent? {
            guard let colon = w[k..<min(w.count, k + 5)].firstIndex(of: ":"), date.isEmpty, u.quotes.isEmpty else { return nil }
            let intro = w[k..<colon].filter { !["a", "the", "my", "to", "list", "please", "pls", "of", "couple"].contains($0) }
            let counts: Set<String> = ["two", "three", "four", "five", "2", "3", "4", "5", "these", "following", "some", "few", "several", "both"]
            guard let first = intro.first, counts.contains(first),
                  intro.dropFirst().allSatisfy({ ["tasks", "things", "items", "todos", "to-dos", "reminders", "more", "new"].contains($0) }) else { return nil }
            var titles: [String] = []
            for piece in u.rest(after: colon).replacingOccurrences(of: " & ", with: ", ").components(separatedBy: ",") {
                for part in piece.components(separatedBy: " and ") {
                    let title = BuiltinModel.cleanTitle(part.trimmingCharacters(in: .whitespaces))
                    if !title.isEmpty { titles.append(title) }
                }
            }
            guard titles.count >= 2, titles.count <= 5 else { return nil }
            return .many(titles.map { .add(NewTask(title: $0, description: nil, due: nil)) })
        }

        /// "no date needed", "no due date", "whenever", "no rush": a clause that only says the task has no date.
        var saysNoDate: Bool {
            hasAny(["no date", "no due date", "no deadline", "without a date", "without a due date", "no rush", "whenever", "any time", "anytime"])
                && w.allSatisfy { ["no", "date", "due", "deadline", "needed", "necessary", "without", "a", "rush", "whenever", "any", "time", "anytime",
                                   "is", "for", "it", "this", "one", "please", "pls", "required", "really", "just", ",", "-"].contains($0) }
        }

        /// "jot down on the dentist one: dr patel", "on call mom, jot down 'ask about thanksgiving'",
        /// "for the gym one could you write down that the contract ends in march": a note for the
        /// task named with "on"/"for" before or right after the writing verb.
        func jotDown() -> Intent? {
            let phrases = ["jot down", "write down", "note down", "scribble down", "write in the notes", "write in the note", "jot",
                           "jot this down", "write this down", "note this down", "jot that down", "write that down", "write", "put", "stick", "note"]
            var found: (at: Int, length: Int)?
            for phrase in phrases {
                guard let at = index(phrase) else { continue }
                let length = phrase.split(separator: " ").count
                if let best = found, best.at < at || best.at == at && best.length >= length { continue }
                found = (at, length)
            }
            guard let (cue, length) = found else { return nil }
            let cueEnd = cue + length
            // "put"/"stick" only as "put 'X' on the gym one" (a quote right after the verb).
            if ["put", "stick"].contains(w[cue]), !(cueEnd < w.count && u.words[cueEnd].quote != nil) { return nil }
            // "note" only as "note on the lisbon one: refund pending".
            if w[cue] == "note", !(cueEnd < w.count && ["on", "for"].contains(w[cueEnd]) && w[cueEnd...].contains(":")) { return nil }
            var targetRange: Range<Int>
            var textStart: Int
            if let lead = w.indices.first(where: { !Self.leadFiller.contains(w[$0]) && !BuiltinModel.filler.contains(w[$0]) }), lead < cue,
               ["on", "for"].contains(w[lead]) {
                // "on call mom, jot down …": the task before the verb.
                var end = cue
                while end > lead + 1, Self.leadFiller.contains(w[end - 1]) || BuiltinModel.filler.contains(w[end - 1])
                        || ["can", "could", "would", "you", "u", "please", ","].contains(w[end - 1]) { end -= 1 }
                targetRange = (lead + 1)..<end
                textStart = cueEnd
            } else if cueEnd < w.count, u.words[cueEnd].quote != nil, let on = w[(cueEnd + 1)...].firstIndex(where: { ["on", "for", "to"].contains($0)
                        || $0 == "in" && w[(cueEnd + 1)...].contains(where: { ["note", "notes", "description"].contains($0) }) }) {
                // "jot down 'ask about her trip' on the call mom task"
                targetRange = (on + 1)..<w.count
                textStart = cueEnd
            } else if cueEnd < w.count, ["on", "for"].contains(w[cueEnd]), let colon = w[cueEnd...].firstIndex(of: ":") {
                // "jot down on the dentist one: …"
                targetRange = (cueEnd + 1)..<colon
                textStart = colon + 1
            } else {
                return nil
            }
            // ("put 'pay rent' on my list" adds a task: the list is not a task to note on.)
            guard !targetRange.isEmpty, w[targetRange].contains(where: Self.isContent),
                  !w[targetRange].contains(where: { ["list", "todo", "todos", "to-do", "tasks", "calendar", "there", "it"].contains($0) }) else { return nil }
            var text: String
            if let quote = u.words.indices.first(where: { $0 >= textStart && u.words[$0].quote != nil }) {
                text = u.quotes[u.words[quote].quote ?? 0]
            } else {
                while textStart < w.count, ["that", ":", "-"].contains(w[textStart]) { textStart += 1 }
                guard textStart < w.count else { return nil }
                text = u.span(textStart, w.count - 1)
            }
            for suffix in [" as the note", " as a note", " as note", " as the description", " in the note", " in the notes"] where text.lowercased().hasSuffix(suffix) {
                text.removeLast(suffix.count)
            }
            text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’ ").union(.whitespaces))
            guard !text.isEmpty else { return nil }
            let excluded = Set(w.indices).subtracting(targetRange)
            return .act(.update(TaskChange(description: .some(text))), target(excluding: excluded))
        }

        /// Whether a dash stands between word `k - 1` and word `k` (never for the two halves of an
        /// expanded shorthand such as "nvm", which share their place in the text).
        func isDashBefore(_ k: Int) -> Bool {
            guard k > 0, k < u.words.count else { return false }
            let scalars = Array(u.text.unicodeScalars)
            let from = u.words[k - 1].end, to = u.words[k].start
            guard from < to, to <= scalars.count else { return false }
            let between = scalars[from..<to]
            return between.contains("-") || between.contains("–") || between.contains("—")
        }

        func delete() -> Intent? {
            var cue = w.contains { ["delete", "remove", "drop", "trash", "erase", "scrap", "ditch", "bin", "discard", "purge", "deleted", "removed",
                                    "kill", "nuke", "dropped", "binned", "trashed", "wipe", "cancel", "scratch", "scrapped", "scratched"].contains($0) }
            cue = cue || hasAny(["get rid of", "forget about", "due date off", "clear it", "deadline off", "date off", "can go", "clear out", "clear those", "clear them", "clear it", "do not need",
                                 "no longer need", "throw away", "throw out", "cross out", "take off", "no need for", "off my list", "off the list",
                                 "not needed", "not necessary", "want it gone", "want that gone", "gone from the list", "gone from my list", "off the list"]) && !hasAny(["tick off", "check off", "cross off", "mark off", "tick it off", "check it off", "cross it off",
                                                                     "mark it off", "tick that off", "cross that off", "tick them off", "cross them off", "check them off", "check that off", "mark them off", "check off"])
            guard cue else { return nil }
            if hasAny(["due date", "deadline", "date off", "the date", "no date"]) { return .act(.update(TaskChange(due: .clear)), target(excluding: [])) }
            // "the tax forms note can go": the note, not the task.
            if w.contains(where: { ["note", "notes", "description", "desc", "comment"].contains($0) }) {
                return .act(.update(TaskChange(description: .some(nil))), target(excluding: []))
            }
            return .act(.delete, target(excluding: []))
        }

        /// Due dates: "move the dentist to next tuesday", "postpone X by a week", "X can wait
        /// until next week", "the acme invoice is due friday now", "make it 7pm".
        func due() -> Intent? {
            let verbs: Set<String> = ["move", "push", "postpone", "reschedule", "delay", "shift", "defer", "bump", "prepone", "slide", "slip"]
            let cue = w.contains { verbs.contains($0) }
                || hasAny(["can wait", "change the date", "change the due", "update the date", "update the due", "fix the date", "set the due", "due date", "deadline", "make it", "put it for", "set it for",
                           "bring forward", "bring it forward", "pull forward", "change it to", "move it", "is now", "now on", "is on", "instead",
                           "should be on", "moved to", "forward", "extend", "change", "schedule", "plan"])
                || w.contains { ["moved", "pushed", "postponed", "rescheduled", "delayed", "shifted"].contains($0) }
                // "update call to sunday".
                || w.contains("update") && w.contains("to") && date.day != nil
                // "gym membership by end of the month pls": a title, "by", a date.
                || titleByDate
                // "the acme invoice needs to go out by tmrw", "call dad has to happen by the end of the month".
                || hasAny(["needs to", "has to", "must", "have to", "needs doing", "need doing", "needs done", "has to be done"]) && w.indices.contains { w[$0] == "by" && (date.indices.contains($0) || date.indices.contains($0 + 1)) }
                || (date.day != nil || date.hour != nil || date.shiftDays != nil || date.shiftMinutes != nil)
                    && w.contains { ["put", "is", "now", "at", "are", "be", "make", "give", "more", "bring", "due", ":", "→", "wait", "later", "earlier", "sooner"].contains($0) }
                || (w.first == "set" || has("set") && !date.isEmpty)
                || w.contains("due") && !date.isEmpty
                || startsWithDateFor
                || u.clauseCount == 2 && !u.clause(1).isEmpty && u.clause(1).allSatisfy { date.indices.contains($0) || ["this", "coming", "the", "on"].contains(w[$0]) }
                    && date.day != nil && !u.clause(0).contains { Self.commandVerbs.contains(w[$0]) }
            // "dentist appointment is done, went today": a completion with a date, not a new date.
            // "the milk needs to be done by 9am tmrw": done by a date is a due date.
            let doneByDate = ["done", "finished", "completed", "sorted"].contains { word in
                w.indices.contains { w[$0] == word && $0 + 1 < w.count && ["by", "before"].contains(w[$0 + 1]) && (date.indices.contains($0 + 1) || date.indices.contains($0 + 2)) }
            }
            if w.contains(where: { BuiltinModel.doneWords.contains($0) }), !doneByDate, !w.contains(where: { verbs.contains($0) || ["due", "deadline"].contains($0) }) {
                return nil
            }
            let dueCue = cue || doneByDate
            let clears = hasAny(["no due", "without a due", "remove the due", "no deadline", "without a deadline", "remove the deadline",
                                 "clear the due", "clear the deadline", "no longer has a due", "does not need a due", "does not need a deadline",
                                 "not have a deadline", "not have a due date", "no longer has a deadline", "not have a due"])
            // "move the dentist appt pls": which day is asked next.
            if dueCue, date.isEmpty, !clears, w.contains(where: { ["move", "reschedule", "postpone", "push", "delay"].contains($0) })
                || hasAny(["due date", "deadline"]) && w.contains(where: { ["change", "update", "set", "fix"].contains($0) }), !isQuestionForm, !isPlainQuestion,
               case let target = target(excluding: []), target != .none {
                return .act(.update(TaskChange()), target)
            }
            guard dueCue, !date.isEmpty || clears, !isQuestionForm, !isPlainQuestion else { return nil }
            // "move the one due this week to next wk": the first date names the task, the one after "to" is the new date.
            if let descriptor, descriptor.dueBefore != nil, let to = w.lastIndex(where: { ["to", "till", "until"].contains($0) }),
               let first = date.indices.min(), to > first, to + 1 < w.count, let rest = Utterance(u.span(to + 1, w.count - 1)) {
                let after = Reader(u: rest, now: now, calendar: calendar)
                if !after.date.isEmpty { return .act(.update(TaskChange(due: after.dueChange())), .described(descriptor)) }
            }
            return .act(.update(TaskChange(due: dueChange())), target(excluding: []))
        }

        /// "gym membership by end of the month pls": a few title words, then "by" and only a date.
        var titleByDate: Bool {
            guard let by = w.firstIndex(of: "by"), by >= 1, by <= 5, date.day != nil, date.indices.contains(by + 1) || date.indices.contains(by) else { return false }
            return w[..<by].allSatisfy({ Self.isContent($0) || ["the", "my"].contains($0) }) && w[..<by].contains(where: Self.isContent)
                && ((by + 1)..<w.count).allSatisfy { date.indices.contains($0) || BuiltinModel.filler.contains(w[$0]) || w[$0] == "the" }
        }

        /// "2026-12-05 for the tax forms", "friday for the dentist": a date, then "for" and a task.
        var startsWithDateFor: Bool {
            guard let first = w.indices.first(where: { !BuiltinModel.filler.contains(w[$0]) }), date.indices.contains(first) else { return false }
            var k = first
            while k < w.count, date.indices.contains(k) { k += 1 }
            return k + 1 < w.count && w[k] == "for"
        }

        /// The due change the date phrase says.
        func dueChange() -> DueChange {
            let earlier = w.contains { ["forward", "earlier", "sooner", "up", "prepone"].contains($0) } && !w.contains("back")
            if let minutes = date.shiftMinutes, date.day == nil, date.shiftDays == nil { return .shiftMinutes(earlier ? -minutes : minutes) }
            if let shift = date.shiftDays, date.day == nil || (date.shiftAt ?? .max) < (date.dayAt ?? .max) { return .shift(earlier ? -shift : shift) }
            if date.sameTime, let day = date.day { return .day(day) }
            if date.day == nil, let hour = date.hour { return .time(hour: hour, minute: date.minute) }
            if let due = date.due(now: now, calendar: calendar) { return .set(due) }
            return .clear
        }

        /// Questions about the list: "what's due this week?", "anything about the car?", "do I
        /// have anything left?", "when is the dentist?".
        func question() -> Intent? {
            // "… finally! can you mark it as done?": a request put as a question.
            if hasAny(["can you", "could you", "would you", "will you"]),
               w.contains(where: { ["mark", "tick", "check", "cross", "complete", "finish", "delete", "remove", "move", "push", "rename", "reopen", "add", "set"].contains($0) }) {
                return nil
            }
            var lead = w.drop { Self.leadFiller.contains($0) }
            // "by when do I need to call mom", "until when is the gym paid": a "when" question.
            if let by = lead.first, ["by", "until", "till"].contains(by), lead.dropFirst().first == "when" { lead = lead.dropFirst() }
            guard let first = lead.first else { return nil }
            let asks = (["what", "which", "anything", "any", "when", "is", "are", "have", "how", "whats", "am"].contains(first)
                        || ["do", "did"].contains(first) && ["i", "we", "you"].contains(lead.dropFirst().first ?? "")
                        || hasAny(["got anything", "got any", "have anything", "anything about", "anything for", "any overdue", "where are we on",
                                   "let me know if there", "let me know if i have", "whats on there", "what is on there",
                                   "is that on my list", "is it on my list", "is that on the list", "is it on the list", "on my list or", "is that still on",
                                   "where are we with", "where do we stand", "what is the status", "whats the status"]) || date.overdue)
                && (!hasAny(["do not", "is not", "are not", "have not"]) || ["what", "which", "whats"].contains(first))
                || u.text.hasSuffix("?")
            guard asks else { return nil }
            let target = self.target(excluding: [])
            // "and the other one?": the same request for the other task, not a question.
            if case .other = target, w.count <= 5 { return nil }
            // "what's number 5", "what's 6?": that row of the last list.
            if case .numbers(let n) = target, n.count == 1, ["what", "whats"].contains(first),
               w.allSatisfy({ ["what", "whats", "is", "number", "no", "#", "item", "task", "the", "again"].contains($0) || Int($0) != nil || BuiltinModel.ordinal($0) != nil || $0.hasPrefix("#") }) {
                return .details(target)
            }
            // "what's #5 about?", "what's the note on the car one?"
            let aboutDetails = w.contains { ["note", "notes", "description", "details", "desc"].contains($0) } || w.last == "about" && w.count > 2
            if aboutDetails || first == "when" && date.isEmpty {
                switch target {
                case .pronoun, .numbers, .words: return .details(target)
                case .none where aboutDetails: return .details(.pronoun([]))
                default: break
                }
            }
            return .list(filter())
        }

        /// "dentist: dr patel, 5th street office", "milk - oat milk, not the regular stuff", "for the
        /// acme invoice, PO number is 4471-B", "renew car insurance - make it the 28th": a few words
        /// naming a task, a colon or a dash (a comma after "for"/"on"), then its new note or date.
        func labelled() -> Intent? {
            guard w.count >= 3, !isChitChat(early: false) else { return nil }
            var split: (head: Int, rest: Int)?
            if let colon = w.firstIndex(of: ":"), (1...5).contains(colon) {
                split = (colon, colon + 1)
            } else if let arrow = w.firstIndex(of: "→"), (2...6).contains(arrow), Self.noteWords.contains(w[arrow - 1]) {
                // "gym membership note -> check the student discount"
                split = (arrow, arrow + 1)
            } else if let k = (1..<min(6, w.count)).first(where: { u.words[$0].clause != u.words[$0 - 1].clause }) {
                let leadsWithFor = ["for", "on", "re", "regarding", "about"].contains(w[0])
                if isDashBefore(k) || leadsWithFor { split = (k, k) }
            }
            guard let (head, restStart) = split, restStart < w.count else { return nil }
            // No request verb before the separator, nor one starting what follows ("gym - delete it" is a request, read elsewhere;
            // "gym membership - check if main st has a discount" is a note).
            let verb = { (k: Int) in Self.commandVerbs.contains(w[k]) && w[k] != "make" && w[k] != "set" }
            guard !(0..<head).contains(where: verb), !(verb(restStart) && !(w[restStart] == "check" && restStart + 1 < w.count && ["if", "whether", "with"].contains(w[restStart + 1]))),
                  !(restStart..<w.count).contains(where: { Self.commandVerbs.contains(w[$0]) && ["delete", "remove", "rename", "move", "push", "mark", "complete", "add"].contains(w[$0]) }) else { return nil }
            // "the second one: bring the photo album": a row of the last list.
            let rowWords = w[..<head].filter { Self.isContent($0) && !["second", "first", "third", "last"].contains($0) }
            if rowWords.isEmpty, case .numbers(let n) = target(excluding: Set(restStart..<w.count)), n.count == 1,
               case let note = u.span(restStart, w.count - 1).trimmingCharacters(in: CharacterSet(charactersIn: " -–—:,")), !note.isEmpty {
                return .act(.update(TaskChange(description: .some(note))), .numbers(n))
            }
            var named = Array(w[..<head]).filter { Self.isContent($0) && $0 != "-" && !Self.noteWords.contains($0) }
            while let last = named.last, ["thing", "one", "task", "stuff", "item", "todo"].contains(last) { named.removeLast() }
            guard (1...4).contains(named.count), !w[..<head].contains(where: { Self.questionStarters.contains($0) && !["is", "do"].contains($0) }),
                  !date.indices.contains(where: { $0 < head }) else { return nil }
            // The rest: only a date ("make it the 28th", "wednesday") sets the due date; else it is the note.
            let glue: Set<String> = ["make", "it", "set", "to", "due", "now", "instead", "should", "be", "is", "please", "pls", ",", "the", "on", "by",
                                     "can", "we", "say", "could", "let", "us", "lets", "move", "push"]
            let restIndices = Array(restStart..<w.count)
            // ("tax forms - can we say end of next week? accountant wants them early": the date's own clause decides.)
            let restClause = u.words[restStart].clause
            let dateClause = restIndices.filter { u.words[$0].clause == restClause || restStart + 1 < w.count && u.words[$0].clause == u.words[restStart + 1].clause }
            if !date.isEmpty, date.indices.allSatisfy({ $0 >= restStart }), date.indices.allSatisfy({ dateClause.contains($0) }),
               dateClause.allSatisfy({ date.indices.contains($0) || glue.contains(w[$0]) || BuiltinModel.filler.contains(w[$0]) }) {
                let due = dueChange()
                return .labelled(words: named, change: TaskChange(due: due))
            }
            guard restIndices.contains(where: { Self.isContent(w[$0]) }) else { return nil }
            let note = u.span(restStart, w.count - 1).trimmingCharacters(in: CharacterSet(charactersIn: " -–—:,"))
            guard !note.isEmpty else { return nil }
            return .labelled(words: named, change: TaskChange(description: .some(note)))
        }

        /// "I've sent the invoice", "the insurance one is done", "tick off number 3", "bought the milk".
        func complete() -> Intent? {
            // "check off the milk", "check it off"; but "can you check?" asks to look.
            let checks = w.indices.contains { k in w[k] == "check" && (k + 1 < w.count && ["off", "it", "that", "them", "this", "as", "done", "the"].contains(w[k + 1]) || k == 0) }
            let cue = w.contains { BuiltinModel.doneWords.contains($0) || ["finish", "complete", "tick", "cross"].contains($0) } || checks
                // "close out the invoice task", "close off the dentist one".
                || hasAny(["close out", "close off"]) || leadWord == "close" && w.contains { ["task", "one", "item", "todo"].contains($0) || BuiltinModel.ordinal($0) != nil || Int($0) != nil }
                || hasAny(["taken care of", "took care", "dealt with", "got it done", "out the door", "all set", "good to go", "wrapped up", "wrap up",
                           "knocked out", "knock out", "handed in", "submitted", "crossed off", "is sorted", "are sorted", "got back from", "came back from",
                           "just back from"])
            let didIt = hasAny(["i did", "we did", "did the", "just did", "got the", "i got", "got it"])
            let marked = w.contains("mark") && !w.contains { BuiltinModel.openWords.contains($0) }
            let called = w.enumerated().contains { $1 == "called" && ($0 == 0 || !["be", "is", "was", "should", "been"].contains(w[$0 - 1])) }
            let pastTense = didIt || marked || called || w.enumerated().contains { index, word in
                guard !BuiltinModel.functionWords.contains(word) || ["sorted", "handled", "done"].contains(word) else { return false }
                if TaskMatcher.irregular[word] != nil && !["mum", "mother", "father", "taxes", "appt", "flight", "talk", "phone", "ring", "renewal",
                                                            "booking", "daddy", "mommy", "read"].contains(word) { return true }
                return word.count > 4 && word.hasSuffix("ed") && !["need", "indeed", "speed", "seed", "feed", "hundred", "interested", "red", "bed",
                                                                    "wed", "shed", "proceed", "succeed"].contains(word)
            }
            guard cue || pastTense else { return nil }
            // "i marked rent done by accident": a reopen.
            if hasAny(["by accident", "by mistake", "accidentally", "too early", "too soon"]) { return nil }
            // "tax forms need to be done sooner, make it …": when, not done.
            if hasAny(["need to be done", "needs to be done", "has to be done", "have to be done", "must be done", "to be done by"]) { return nil }
            // "the finished ones", "the completed ones": naming tasks by being done is not completing them.
            if case .described(let described) = target(excluding: []), described.status == "done" { return nil }
            // "… i never actually booked them": a denial, not a completion.
            if w.contains("never"), !hasAny(["mark", "tick", "check off", "cross off", "check it off"]) { return nil }
            var idiom: Set<Int> = []
            for phrase in ["out the door", "all set", "good to go", "taken care of", "dealt with", "knocked out", "handed in"] {
                if let at = index(phrase) { idiom.formUnion(at..<(at + phrase.split(separator: " ").count)) }
            }
            return .act(.complete, target(excluding: idiom))
        }

        /// "details of 3", "tell me more about the dentist".
        func details() -> Intent? {
            guard hasAny(["details of", "details on", "more about", "info on", "info about"]) else { return nil }
            return .details(target(excluding: []))
        }

        /// A message with no verb of its own, read against the previous request.
        func fragment() -> Intent? {
            // "same for the 1st", "do the same with dad": the last request again, for what is named.
            if let k = firstIndex(["same for", "same with", "same to", "same goes for", "same thing for"]), k <= 3, k + 2 < w.count,
               let rest = Utterance(u.span(k + 2, w.count - 1)) {
                let tail = rest.lower
                let number = tail.count <= 3 ? tail.compactMap({ Int($0) ?? BuiltinModel.ordinal($0) }).first : nil
                let named = Reader(u: rest, now: now, calendar: calendar).target(excluding: [])
                let target: Target = number.map { .numbers([$0]) } ?? named
                if target != .none { return .fragment(Fragment(target: target, due: nil, text: rest.text, status: nil, correction: false)) }
            }
            let content = w.filter { !BuiltinModel.functionWords.contains($0) && !date.indices.contains(w.firstIndex(of: $0) ?? -1) }
            guard w.count <= 12, !isChitChat(early: false) else { return nil }
            let target = self.target(excluding: [])
            var status: String?
            if w.contains(where: { BuiltinModel.doneWords.contains($0) }) { status = "done" }
            if w.contains(where: { BuiltinModel.openWords.contains($0) }) { status = "open" }
            if w.contains(where: { ["all", "everything"].contains($0) }) { status = "all" }
            // "sorry, I meant friday" after "… thursday 6pm": the day changes, the time stays.
            let change: DueChange? = date.isEmpty ? nil : hasAny(["i meant", "i mean", "meant"]) && date.hour == nil && date.shiftDays == nil
                ? date.day.map(DueChange.day) ?? dueChange() : dueChange()
            guard target != .none || change != nil || status != nil || !content.isEmpty else { return nil }
            var start = 0
            while start < w.count, BuiltinModel.filler.contains(w[start]) || ["i", "meant", "mean", "what", "about"].contains(w[start]) { start += 1 }
            // "actually make that 'buy printer ink'": a correction of what was just asked.
            let makeThat = start + 1 < w.count && w[start] == "make" && ["that", "it"].contains(w[start + 1])
            if makeThat { start += 2 }
            var last = w.count - 1
            while last >= start, date.indices.contains(last) || [",", "on", "by", "due", "for", "at", "too", "as", "well", "please", "pls"].contains(w[last]) { last -= 1 }
            let text = start <= last ? u.span(start, last) : ""
            return .fragment(Fragment(target: target, due: change, text: BuiltinModel.cleanTitle(text), status: status,
                                      correction: hasAny(["i meant", "i mean", "meant"]) || makeThat))
        }

        // MARK: - Slots

        /// Which tasks a list shows: status words, a keyword, a due window.
        func filter() -> TaskFilter {
            var f = TaskFilter()
            let saidDone = w.contains { BuiltinModel.doneWords.contains($0) || ["finish", "complete"].contains($0) } || hasAny(["get done", "got done"])
                || hasAny(["tick off", "did i tick", "checked off", "crossed off", "cross off", "did i check off"])
                && !hasAny(["to be done", "need to be done", "needs to be done", "to do"])
            var open = w.contains { BuiltinModel.openWords.contains($0) || $0 == "still" } || hasAny(["need to", "have to", "to do", "got to", "should do"])
            // "not finished yet", "what do I still need to get done": open ones.
            let notDone = hasAny(["not done", "not finished", "not finish", "not complete", "not completed", "not yet done", "need to get done", "not i done",
                                  "not i finished", "i have not done", "i have not finished", "have i not done", "have i not finished",
                                  "needs to get done", "have to get done", "still to get done", "yet to be done", "not ticked", "not checked"])
                && !hasAny(["done and not done", "done or not", "done and undone", "finished and unfinished", "finished or not", "not done and done"])
            if notDone { open = true }
            let done = saidDone && !notDone
            let all = hasAny(["all", "everything", "full list", "whole list", "entire list", "done or not", "including", "incl", "too", "as well", "every",
                              "and which are not", "and which not"])
            // "is paying rent still on there or did i do that already": either status.
            let either = hasAny(["or did i", "or have i", "or is it done", "or is that done", "or already done", "or not", "both the done", "done ones and",
                                 "done and the", "and the ones that are not"])
            // "everything I've ticked off so far": everything of that kind, the done ones.
            let doneByMe = hasAny(["i have ticked", "i ticked", "i have done", "i have finished", "i have completed", "i finished", "i completed",
                                   "i have checked off", "i have crossed off"])
            if doneByMe && !open && !has("not done") {
                f.status = "done"; f.statusSaid = true
            } else if done && (all || open || has("not done")) || all && !done && !open || either {
                f.status = "all"; f.statusSaid = true
            } else if done {
                f.status = "done"; f.statusSaid = true
            } else if open {
                f.statusSaid = true
            }
            if date.isEmpty, hasAny(["soon", "coming up", "upcoming", "next few days"]) {
                f.dueFrom = calendar.startOfDay(for: now); f.dueBefore = calendar.date(byAdding: .day, value: 7, to: f.dueFrom ?? now)
                f.dueLabel = "due in the next 7 days"; f.status = "open"
            }
            if date.isEmpty, hasAny(["no due date", "no due dates", "without a due date", "without due dates", "without a deadline", "no deadline",
                                     "not have a due date", "not have due dates", "not have a deadline", "no date", "undated", "not due"]) {
                f.undated = true; f.dueLabel = "without a due date"
                if !f.statusSaid { f.status = "open" }
            } else if date.overdue {
                f.dueBefore = calendar.startOfDay(for: now); f.dueLabel = "overdue"; f.status = "open"; f.statusSaid = true
            } else if let day = date.day {
                if date.by || hasAny(["between now and", "from now until", "from now till", "from now to", "through", "up to"]) {
                    if hasAny(["between now and", "from now"]) { f.dueFrom = calendar.startOfDay(for: now) }
                    f.dueBefore = calendar.date(byAdding: .day, value: date.spanDays, to: day)
                    f.dueLabel = "due by \(BuiltinModel.dayName(day, calendar: calendar))"
                } else if date.after {
                    f.dueFrom = calendar.date(byAdding: .day, value: date.spanDays, to: day)
                    f.dueLabel = "due after \(BuiltinModel.dayName(day, calendar: calendar))"
                } else if date.before {
                    f.dueBefore = day; f.dueLabel = "due before \(BuiltinModel.dayName(day, calendar: calendar))"
                } else {
                    f.dueFrom = day
                    f.dueBefore = calendar.date(byAdding: .day, value: date.spanDays, to: day)
                    f.dueLabel = date.spanDays == 1 ? "due \(BuiltinModel.dayName(day, calendar: calendar))" : date.spanDays == 2 ? "due in the next two days from \(BuiltinModel.dayName(day, calendar: calendar))" : "due \(hasAny(["this week"]) ? "this week" : hasAny(["next week"]) ? "next week" : "from \(BuiltinModel.dayName(day, calendar: calendar))")"
                }
                if !f.statusSaid { f.status = "open" }
            }
            // A keyword: the content words left.
            let keywords = w.enumerated().filter { index, word in
                !date.indices.contains(index) && !BuiltinModel.functionWords.contains(word) && !BuiltinModel.filler.contains(word)
                    && u.words[index].quote == nil && !["calls", "call"].contains(word) || ["calls", "call"].contains(word) && !hasAny(["call me"])
            }.map(\.element).filter { !["make", "plate", "agenda", "week", "month", "earlier", "currently", "overdue", "late", "stoa", "gimme", "whats",
                                        "got", "their", "them", "in", "with", "containing", "matching", "mention", "mentions", "mentioning", "related",
                                        "regarding", "concerning", "involving", "anything", "tasks", "todo", "do", "did", "finish", "list", "complete", "forgot", "forget",
                                        "miss", "missed", "soon", "upcoming", "coming", "far", "going", "come", "comes", "yet", "currently", "lately", "recently", "ever",
                                        "past", "w", "mentioning", "items", "ones", "re", "between", "behind", "em", "stuff", "pile", "heap", "bucket", "column", "section",
                                        "bin", "category",
                                        "up", "coming", "upcoming", "next", "before", "soon", "is", "are", "here", "need", "to", "tell", "ones",
                                        "which", "whats", "day", "week", "weekend", "month", "pull", "many", "how", "much", "narrow", "filter", "just", "down", "by",
                                        "worry", "looking", "promised", "quick", "thing", "realy", "remind", "doing", "needs", "attention", "happening", "handling", "only", "status",
                                        "who", "know", "wonder", "wondering", "wondered", "single", "picture", "plan"].contains($0) }
            let quoted = u.quotes.first
            // One word goes to the search (it matches a substring of a title or note): the longest, the most telling.
            // "everything with the word call in it": the word named.
            let named = index("the word").flatMap { k in k + 2 < w.count && u.words[k + 2].quote == nil ? w[k + 2] : nil }
            if f.undated { f.query = nil } else if let quoted { f.query = quoted } else if let named { f.query = named } else if let best = keywords.map(TaskMatcher.stem).max(by: { $0.count < $1.count }) {
                f.query = best
                // Every candidate in the order said: on a tie the earlier word wins ("dentist appointment" → dentist).
                var candidates: [String] = []
                for word in keywords.map(TaskMatcher.stem) where (word == best || word.count >= 3) && !candidates.contains(word) { candidates.append(word) }
                // Errand verbs ("pay", "book", "renew") go last: they tell tasks apart least.
                candidates = candidates.filter { !TaskMatcher.errandVerbs.contains($0) } + candidates.filter { TaskMatcher.errandVerbs.contains($0) }
                f.alternatives = candidates.count > 1 ? Array(candidates.prefix(4)) : []
                f.said = f.alternatives.isEmpty ? [] : Array(keywords.prefix(6))
                f.queryGuessed = !hasAny(["about", "regarding", "mentioning", "matching", "containing", "related to", "involving", "concerning", "with", "re",
                                          "called", "named", "titled", "search", "find", "look for", "lookup"]) && w.count > 3
            }
            if f.query != nil && !f.statusSaid && f.dueLabel == nil { f.status = "all" }
            // "the full list, including the ones i ticked off": everything.
            if hasAny(["including the", "full list", "whole list", "entire list"]), f.dueLabel == nil { f.status = "all"; f.statusSaid = true }
            // "did I renew the car insurance?", "have I done the taxes yet": show it whatever its state.
            let yesNo = leadWord.map { ["did", "have", "has", "is", "are"].contains($0) } ?? false
            if f.query != nil, f.dueLabel == nil, !f.statusSaid || yesNo && done && !open, hasAny(["did i", "have i", "is the", "are the", "has the", "did the", "was the"]) {
                f.status = "all"
            }
            // "the invoice - is it still pending?": a yes/no question about one task shows it whatever its state.
            if f.query != nil, f.dueLabel == nil, f.status != "all", hasAny(["is it", "is that", "are they", "is the", "are the"]),
               u.text.hasSuffix("?") || ["is", "are"].contains(leadWord ?? "") {
                f.status = "all"
            }
            return f
        }

        /// The tasks meant: numbers or ordinals, "both"/"those", a pronoun, or title words (a
        /// quote counts as title words). Words of the cue's clause come first; a clause that only
        /// says "it" borrows the words of the others ("I don't need the car insurance task
        /// anymore, delete it").
        /// "which tasks have notes?", "list the ones with a description": a list of tasks with a
        /// note; nil when the message does not ask for one.
        var noteFilter: TaskFilter? {
            guard hasAny(["have notes", "have a note", "has a note", "has notes", "with notes", "with a note", "have a description", "has a description",
                          "with a description", "have descriptions", "with descriptions", "have any notes", "have any description"]) else { return nil }
            let lead = w.first { !Self.leadFiller.contains($0) && !["can", "could", "you", "please", "just", "only"].contains($0) }
            let asks = isQuestionForm || u.text.hasSuffix("?") || lead.map { ["show", "list", "display", "see", "view", "give", "find"].contains($0) } == true
            guard asks, !w.contains(where: { ["add", "delete", "remove", "mark", "complete", "clear", "change", "update", "move", "rename", "put", "stick",
                                              "create", "new", "remind", "set", "attach", "write", "note"].contains($0) }) else { return nil }
            var f = filter()
            f.hasNote = true
            f.query = nil
            f.queryGuessed = false
            if !f.statusSaid { f.status = "all" }
            return f
        }

        /// "the one with a note", "the completed one": a task named by what it is.
        var descriptor: TaskDescriptor? {
            // "the open one without a due date"
            if hasAny(["one without a due date", "one with no due date", "one without a date", "one with no date", "task without a due date",
                       "task with no due date", "one without a deadline", "one with no deadline", "task without date", "one without date",
                       "task without a date", "task with no date", "task without deadline", "task without a deadline", "one without due date",
                       "task without due date", "task that has no due date", "one that has no due date", "task that has no date", "undated one",
                       "undated task"]) {
                let open = hasAny(["open one", "unfinished one", "pending one"])
                return TaskDescriptor(status: open ? "open" : nil, undated: true, label: open ? "are open without a due date" : "have no due date")
            }
            if hasAny(["one with a note", "one that has a note", "one with notes", "one with a description", "one that has a description",
                       "task with a note", "task that has a note", "task with a description", "task that has a description", "one with the note",
                       "task with notes", "task that has notes", "one that has notes", "task with the note"]) {
                return TaskDescriptor(hasNote: true, label: "have a note")
            }
            for (phrases, status) in [(["the done one", "the completed one", "the finished one", "the checked one", "the ticked one",
                                        "the done task", "the completed task", "the finished task"], "done"),
                                       (["the open one", "the unfinished one", "the pending one", "the open task", "the unfinished task"], "open")] {
                if hasAny(phrases) { return TaskDescriptor(status: status, label: status == "done" ? "are done" : "are open") }
            }
            // "delete the task I already finished", "the one I've done".
            if let at = firstIndex(["the task i", "the one i", "the thing i", "the item i"]) {
                let said = w[(at + 3)...].drop { ["already", "have", "just", "had"].contains($0) }.first
                if let said, BuiltinModel.doneWords.contains(said) || ["did", "ticked", "checked", "crossed"].contains(said) {
                    return TaskDescriptor(status: "done", label: "are done")
                }
            }
            // "delete the one that's due this week", "push the task due tomorrow back a day".
            if let day = date.day, !date.overdue, !w.contains(where: { BuiltinModel.ordinal($0) != nil || Int($0) != nil }),
               hasAny(["the one that is due", "the one thats due", "the one due", "the task that is due", "the task thats due", "the task due",
                       "the one which is due", "the task which is due", "the item which is due", "the thing due", "the thing that is due", "the item due", "the item that is due"]),
               let end = calendar.date(byAdding: .day, value: date.spanDays, to: day) {
                let span = hasAny(["this week"]) ? "this week" : hasAny(["next week"]) ? "next week" : BuiltinModel.dayName(day, calendar: calendar)
                return TaskDescriptor(status: "open", dueFrom: date.spanDays > 1 ? calendar.startOfDay(for: now) : day, dueBefore: end, label: "are due \(span)")
            }
            return describedByWords
        }

        /// "the task that's already done", "the completed one", "the one with the description":
        /// "the", a noun for a task, and a status or a note said before or after it.
        var describedByWords: TaskDescriptor? {
            let nouns: Set<String> = ["one", "ones", "task", "tasks", "thing", "things", "item", "items", "todo"]
            for k in w.indices where nouns.contains(w[k]) && k > 0 {
                var before = k - 1
                var said: String?
                if BuiltinModel.doneWords.contains(w[before]) || ["open", "unfinished", "pending"].contains(w[before]) { said = w[before]; before -= 1 }
                // "the overdue one, make it due monday": the open tasks due before today.
                if said == nil, ["overdue", "late"].contains(w[before]), before >= 1, w[before - 1] == "the", ["one", "task", "thing", "item"].contains(w[k]) {
                    return TaskDescriptor(status: "open", dueBefore: calendar.startOfDay(for: now), label: "are overdue")
                }
                guard before >= 0, w[before] == "the" || w[before] == "that" && before == 0 && ["task", "todo", "item"].contains(w[k]) else { continue }
                if said == nil {
                    let after = w[(k + 1)...].drop { ["that", "thats", "which", "is", "was", "already", "i", "have", "just", "been", "marked", "as", "you"].contains($0) }
                    if let next = after.first, BuiltinModel.doneWords.contains(next) || ["did", "ticked", "crossed", "checked", "completed", "finished"].contains(next) { said = "done" }
                    // "the one that has no date", "the task without a deadline".
                    else if let next = after.first, next == "does", after.prefix(3).contains("not"), after.prefix(6).contains(where: { ["date", "deadline", "due"].contains($0) }) {
                        return TaskDescriptor(undated: true, label: "have no due date")
                    }
                    else if let next = after.first, ["without", "with", "has", "no"].contains(next),
                            after.prefix(4).contains(where: { ["date", "deadline", "due"].contains($0) }),
                            next == "without" || after.prefix(3).contains("no") {
                        return TaskDescriptor(undated: true, label: "have no due date")
                    }
                    else if let next = after.first, ["with", "has"].contains(next),
                            let noun = after.dropFirst().drop(while: { ["a", "an", "the", "some"].contains($0) }).first,
                            ["note", "notes", "description", "desc", "details", "comment"].contains(noun) {
                        return TaskDescriptor(hasNote: true, label: "have a note")
                    }
                }
                guard let said else { continue }
                let done = said == "done" || BuiltinModel.doneWords.contains(said)
                return TaskDescriptor(status: done ? "done" : "open", label: done ? "are done" : "are open")
            }
            return nil
        }

        func target(excluding excluded: Set<Int>) -> Target {
            if let descriptor, !w.indices.contains(where: { Int(w[$0]) != nil && !date.indices.contains($0) }) { return .described(descriptor) }
            if hasAny(["the other one", "the other task", "the other call", "other one"]) || has("the other") && !hasAny(["the other day", "the other week"]) {
                // "not mom, the other one": the words after "not" name the one that is not meant.
                let not = w.indices.filter { k in k > 0 && w[k - 1] == "not" && Self.isContent(w[k]) }.map { w[$0] }
                return .other(not: not)
            }
            var numbers: [Int] = []
            var pronounClauses: Set<Int> = []
            var cueClauses: Set<Int> = []
            var all = false
            // Word groups: a new one at each clause, at "and", and after "done" ("buy milk ✔ call mom ✔").
            var groups: [(clause: Int, words: [String])] = []
            var current: [String] = []
            var currentClause = 0
            func close() {
                if !current.isEmpty { groups.append((currentClause, current)) }
                current = []
            }
            var k = 0
            while k < w.count {
                defer { k += 1 }
                let word = w[k]
                let clause = u.words[k].clause
                if clause != currentClause { close(); currentClause = clause }
                if BuiltinModel.cueWords.contains(word) { cueClauses.insert(clause) }
                if ["and", "plus", "&"].contains(word) || BuiltinModel.doneWords.contains(word) { close() }
                if excluded.contains(k) || date.indices.contains(k) { continue }
                if let quote = u.words[k].quote {
                    current += TaskMatcher.words(u.quotes[quote])
                    continue
                }
                if word == "last", k + 1 < w.count, ["night", "week", "weekend", "month", "year", "time", "evening", "morning", "monday", "tuesday",
                                                      "wednesday", "thursday", "friday", "saturday", "sunday"].contains(w[k + 1]) {
                    k += 1; continue
                }
                // "went with the second quote": an ordinal of something else, not of a task.
                if BuiltinModel.ordinal(word) != nil, k + 1 < w.count, Self.isContent(w[k + 1]), Int(w[k + 1]) == nil, DatePhrase.numberWords[w[k + 1]] == nil,
                   u.words[k + 1].clause == u.words[k].clause, !isDashBefore(k + 1), !["fyi", "is", "was"].contains(w[k + 1]), !(k > 0 && w[k - 1] == "number") {
                    continue
                }
                if let n = BuiltinModel.ordinal(word) {
                    // "the first two" → 1, 2
                    if n == 1, word == "first", k + 1 < w.count, let count = DatePhrase.numberWords[w[k + 1]] ?? Int(w[k + 1]), count > 1, count <= 10 {
                        numbers += Array(1...count); k += 1; continue
                    }
                    numbers.append(n); continue
                }
                // "finally got 3 quotes": a count of something, not task 3.
                if let n = Int(word.hasPrefix("#") ? String(word.dropFirst()) : word), (1...999).contains(n),
                   !(k + 1 < w.count && Self.isContent(w[k + 1]) && k > 0 && !["number", "task", "#", "and", "mark", "delete", "remove", "complete", "move", "reopen", "rename"].contains(w[k - 1])) {
                    numbers.append(n); continue
                }
                if let n = DatePhrase.numberWords[word], n > 1 || word == "one" && k > 0 && ["number", "task", "#"].contains(w[k - 1]),
                   k > 0, ["number", "task", "#", "and", "to"].contains(w[k - 1]) || w.count <= 3 {
                    numbers.append(n); continue
                }
                if ["both", "those", "these", "them", "all"].contains(word) && !(word == "all" && k + 1 < w.count && ["my", "the", "of"].contains(w[k + 1])) {
                    all = true; continue
                }
                if BuiltinModel.pronouns.contains(word) { pronounClauses.insert(clause); continue }
                if word == "called", k == 0 || !["be", "is", "was", "been", "should", "being"].contains(w[k - 1]) { current.append(word); continue }
                if BuiltinModel.functionWords.contains(word) || BuiltinModel.filler.contains(word) { continue }
                if ["yesterday", "earlier", "finally", "totally", "guys", "quit", "typo", "entirely", "completely", "altogether", "permanently",
                    "forever", "accidentally", "mistakenly", "wrongly", "mistake"].contains(word) { continue }
                current.append(word)
            }
            close()
            if !numbers.isEmpty { return .numbers(numbers) }
            // "reopen all my finished tasks", "delete everything done": every task of a status.
            if groups.isEmpty, hasAny(["all my", "all the", "all", "everything", "every"]), !has("all of them") {
                let nouns: Set<String> = ["tasks", "ones", "todos", "items", "stuff", "things"]
                for k in w.indices.dropLast() where nouns.contains(w[k + 1]) {
                    if BuiltinModel.doneWords.contains(w[k]) { return .every("done") }
                    if BuiltinModel.openWords.contains(w[k]) { return .every("open") }
                }
            }
            if all && groups.isEmpty { return .all }
            let allWords = groups.flatMap(\.words)
            // The clause with the verb decides: its words, or its "it" (with the other words as a fallback).
            let cueGroups = groups.filter { cueClauses.contains($0.clause) }
            // "the transfer bounced, can you reopen it": a pronoun right after the verb points at
            // the task named elsewhere; every group is a candidate.
            let verbThenPronoun = w.indices.dropLast().contains { BuiltinModel.cueWords.contains(w[$0]) && ["it", "that", "this"].contains(w[$0 + 1])
                && !($0 + 2 < w.count && ["one", "task"].contains(w[$0 + 2])) }
            if verbThenPronoun, !groups.isEmpty { return .pronoun(BuiltinModel.joinGroups(groups.map(\.words))) }
            if !cueGroups.isEmpty {
                let rest = groups.filter { !cueClauses.contains($0.clause) }
                return .words(BuiltinModel.joinGroups((cueGroups + rest).map(\.words)))
            }
            if !cueClauses.isDisjoint(with: pronounClauses) { return .pronoun(BuiltinModel.joinGroups(groups.map(\.words))) }
            // Otherwise the first clause that names a task or points at one.
            for clause in 0..<u.clauseCount {
                if groups.contains(where: { $0.clause == clause }) { return .words(BuiltinModel.joinGroups(groups.map(\.words))) }
                if pronounClauses.contains(clause) { return .pronoun(allWords) }
            }
            if all { return .all }
            return .none
        }
    }

    /// Word groups as one list, "&" between groups.
    static func joinGroups(_ groups: [[String]]) -> [String] {
        var out: [String] = []
        for group in groups where !group.isEmpty {
            if !out.isEmpty { out.append("&") }
            out += group
        }
        return out
    }

    /// Words that carry the request's verb: the clause that has one names the task.
    static let cueWords: Set<String> = [
        "delete", "remove", "drop", "trash", "erase", "scrap", "scratch", "ditch", "bin", "kill", "nuke", "cancel", "wipe", "reopen", "unfinish",
        "uncheck", "untick", "unmark", "mark", "complete", "completed", "done", "finished", "finish", "tick", "check", "cross", "move", "push",
        "postpone", "reschedule", "delay", "bump", "shift", "rename", "retitle", "note", "description", "due", "set", "change", "make", "forget",
        "need", "undo", "got", "sorted", "deadline", "pending", "open",
    ]

    static func ordinal(_ word: String) -> Int? {
        let table = ["first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
                     "last": -1, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10]
        return table[word]
    }

    /// A title as the user typed it, without surrounding quotes, trailing punctuation or filler;
    /// its first letter capitalised.
    static func cleanTitle(_ s: String) -> String {
        var out = s.trimmingCharacters(in: .whitespacesAndNewlines)
        var changed = true
        while changed {
            changed = false
            // ("return library books, theyre due saturday": the subject of the cut-off date clause goes too.)
            for filler in [" please", " pls", " for me", " thanks", " thank you", " thx", " too", " as well",
                           ", theyre", ", they're", ", they are", ", its", ", it's", ", it is", ", which is", ", that is",
                           " that'd be great", " that'd be", " that would be great", " that would be", " thatd be great", " thatd be", " if you can", " if you could",
                           " if possible"] where out.lowercased().hasSuffix(filler) {
                out.removeLast(filler.count); changed = true
            }
            let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’ .,!?;:").union(.whitespaces))
            if trimmed != out { out = trimmed; changed = true }
        }
        guard let first = out.first else { return out }
        return first.uppercased() + out.dropFirst()
    }

    /// "Fri 20 Nov" in the user's calendar.
    static func dayName(_ date: Date, calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.weekday, .day, .month], from: date)
        let weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][((parts.weekday ?? 1) - 1) % 7]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][((parts.month ?? 1) - 1) % 12]
        return "\(weekday) \(parts.day ?? 1) \(month)"
    }
}

extension BuiltinModel.Target {
    var wordsValue: [String]? { if case .words(let w) = self { return w } else { return nil } }
}
