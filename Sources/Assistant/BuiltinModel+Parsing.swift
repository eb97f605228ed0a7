import Foundation
import Synchronization

extension BuiltinModel {
    static let ordinals = ["first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
                           "last": -1]
    static let numberWords = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10]

    /// The longest message read as a task command; longer ones are questions for the documents.
    static let maxCommandCharacters = 400

    /// Reads one user message. Rules are tried from the most specific to the most general.
    ///
    /// Cost is bounded whatever the message: only a message of at most ``maxCommandCharacters``
    /// is matched, after every run of whitespace became one space, so the patterns (whose lazy
    /// groups and `\s+` could otherwise backtrack over long runs) see a short, normalised text.
    static func parse(_ raw: String, context: ModelContext) -> Intent {
        guard let normalised = commandText(raw) else { return .unknown }
        let text = normalised.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ".!?")))
        let lower = text.lowercased()
        func match(_ pattern: String) -> [String]? {
            guard let regex = RegexCache.regex("^" + pattern + "$"),
                  let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
            return (0..<m.numberOfRanges).map { i in Range(m.range(at: i), in: text).map { String(text[$0]) } ?? "" }
        }
        let ref = #"(?:task\s+)?(?:number\s+)?(?:#)?(.+?)"#

        if ["hi", "hello", "hey", "good morning", "good evening"].contains(lower) { return .greeting }
        if ["help", "what can you do", "what can you do for me"].contains(lower) { return .help }

        // Listing
        if let m = match(#"(?:what'?s|what is|what's left)\s+(?:on\s+)?my\s+(?:list|to-?do list|todo list|tasks?)"#) ?? match(#"what do i (?:have|need) to do"#) {
            _ = m; return .list(status: "open", query: nil)
        }
        if let m = match(#"(?:show|list|display|give me|see)\s+(?:me\s+)?(all\s+)?(?:of\s+)?my\s+(open|pending|done|completed|finished|all)?\s*(?:tasks|to-?dos|list)(?:\s+(?:about|with|containing|for|matching)\s+(.+))?"#)
            ?? match(#"(?:show|list|display)\s+(?:me\s+)?(?:the\s+)?(all\s+)?(open|pending|done|completed|finished)?\s*(?:tasks|to-?dos)(?:\s+(?:about|with|containing|for|matching)\s+(.+))?"#) {
            let word = (m[2].isEmpty ? m[1] : m[2]).trimmingCharacters(in: .whitespaces).lowercased()
            let status = ["done", "completed", "finished"].contains(word) ? "done" : word == "all" ? "all" : "open"
            return .list(status: status, query: m.count > 3 && !m[3].isEmpty ? m[3] : nil)
        }
        if lower == "list" || lower == "tasks" || lower == "my tasks" || lower == "todo" { return .list(status: "open", query: nil) }

        // Reopening (before completing: "mark X as not done" ends in "done" too)
        if let m = match(#"(?:reopen|uncheck|untick|undo)\s+\#(ref)"#)
            ?? match(#"(?:mark|set)\s+\#(ref)\s+(?:as\s+)?(?:not done|undone|open|incomplete|not finished)"#) {
            return .reopen(reference(m[1]))
        }

        // Completing
        if let m = match(#"(?:mark|set)\s+\#(ref)\s+(?:as\s+)?(?:done|complete|completed|finished)"#)
            ?? match(#"(?:complete|finish|check off|tick off|close)\s+\#(ref)"#)
            ?? match(#"(?:i\s+)?(?:finished|completed|did|have done|i've done)\s+\#(ref)"#)
            ?? match(#"done with\s+\#(ref)"#) {
            return .complete(reference(m[1]))
        }
        // Renaming, due dates, descriptions
        if let m = match(#"(?:rename|retitle|change)\s+\#(ref)\s+to\s+(.+)"#), !isDateOnly(m[2], context: context) {
            return .rename(reference(m[1]), to: clean(m[2]))
        }
        if let m = match(#"(?:move|reschedule|set the due date of|change the due date of|set due date of)\s+\#(ref)\s+to\s+(.+)"#)
            ?? match(#"(?:change|rename)\s+\#(ref)\s+to\s+(.+)"#) {
            let (rest, due) = DuePhrase.extract(from: m[2], now: context.now, timeZone: context.timeZone)
            if let due, rest.isEmpty { return .setDue(reference(m[1]), due) }
            return .unknown
        }
        if let m = match(#"(?:remove|clear) the due date (?:of|from)\s+\#(ref)"#) { return .setDue(reference(m[1]), nil) }
        if let m = match(#"(?:add a note to|describe|set the description of|add notes to)\s+\#(ref)\s*(?::|to|saying)\s+(.+)"#) {
            return .describe(reference(m[1]), m[2])
        }

        // Deleting
        if let m = match(#"(?:delete|remove|drop|get rid of|cancel)\s+\#(ref)(?:\s+from my (?:list|tasks))?"#) {
            return .delete(reference(m[1]))
        }

        // Adding
        if let m = match(#"(?:please\s+)?(?:add|create|make|new)\s+(?:a\s+|an\s+)?(?:new\s+)?(?:task|to-?do|reminder)?\s*(?:to|:|-|called|named)?\s*(.+?)(?:\s+to my (?:list|tasks|to-?do list))?"#)
            ?? match(#"(?:remind me to|i need to|i have to|i must|don't let me forget to|todo:|to-?do:)\s+(.+)"#) {
            var title = m[1]
            var description: String? = nil
            if let colon = title.range(of: " with note ") ?? title.range(of: " with details ") ?? title.range(of: " - ") {
                description = String(title[colon.upperBound...]).trimmingCharacters(in: .whitespaces)
                title = String(title[..<colon.lowerBound])
            }
            let (rest, due) = DuePhrase.extract(from: title, now: context.now, timeZone: context.timeZone)
            let cleaned = clean(rest)
            guard !cleaned.isEmpty, !["task", "a task", "todo"].contains(cleaned.lowercased()) else { return .help }
            return .add(title: cleaned, description: description, due: due)
        }
        return .unknown
    }

    /// The message with whitespace runs collapsed to single spaces and trimmed; nil when it is
    /// longer than ``maxCommandCharacters`` (looked at without reading past the bound).
    static func commandText(_ raw: String) -> String? {
        var out = ""
        var count = 0
        var pendingSpace = false
        for scalar in raw.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.unicodeScalars.append(" "); count += 1; pendingSpace = false }
            out.unicodeScalars.append(scalar)
            count += 1
            if count > maxCommandCharacters * 2 { return nil }   // scalars, a loose bound on characters
        }
        return out.count > maxCommandCharacters ? nil : out
    }

    static func isDateOnly(_ text: String, context: ModelContext) -> Bool {
        let (rest, due) = DuePhrase.extract(from: text, now: context.now, timeZone: context.timeZone)
        return due != nil && rest.isEmpty
    }

    /// "2", "#2", "the second one", "two", "the milk task" → a reference.
    static func reference(_ raw: String) -> Reference {
        var words = raw.lowercased().trimmingCharacters(in: .whitespaces)
        for prefix in ["the ", "my ", "task ", "number ", "#"] where words.hasPrefix(prefix) { words.removeFirst(prefix.count) }
        for suffix in [" one", " task", " item", " to-do", " todo"] where words.hasSuffix(suffix) { words.removeLast(suffix.count) }
        words = words.trimmingCharacters(in: .whitespaces)
        if let n = Int(words) { return .number(n) }
        if let n = ordinals[words] ?? numberWords[words] { return .number(n) }
        return .words(clean(words))
    }

    /// Trims quotes, punctuation and filler like "please".
    static func clean(_ s: String) -> String {
        var out = s.trimmingCharacters(in: .whitespacesAndNewlines)
        for filler in [" please", " for me", " thanks", " thank you"] where out.lowercased().hasSuffix(filler) { out.removeLast(filler.count) }
        out = out.trimmingCharacters(in: CharacterSet(charactersIn: "\"'“”‘’ .,!?"))
        guard let first = out.first else { return out }
        return first.uppercased() + out.dropFirst()
    }
}

extension BuiltinModel {
    /// Each round of a turn reads the same user message; parsing runs dozens of patterns, so the
    /// last few parses are kept (keyed by text, time zone and minute: relative dates stay right).
    private static let recentIntents = Mutex<[String: Intent]>([:])

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
}
