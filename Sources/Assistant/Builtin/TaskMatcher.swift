import Foundation
import StoaCore

/// Finds the tasks a user means by a few words: word stems ("bought the milk" → "Buy milk"),
/// a few synonyms ("spoke to dad" → "Call dad"), prefixes ("insur") and small typos
/// ("invioce", "dentst"). Every word the user said must match a word of the title for a task
/// to be a full match; a task that matches only some of them is offered as a guess.
enum TaskMatcher {
    /// Words that never decide which task is meant.
    static let ignored: Set<String> = ["the", "a", "an", "to", "of", "for", "my", "on", "in", "at", "with", "and", "task", "tasks", "one",
                                       "ones", "item", "items", "todo", "todos", "thing", "stuff", "entry", "reminder",
                                       // ("acme wants the invoice by the 1st": what someone wants or said is not a title word.)
                                       "want", "wants", "need", "needs", "say", "says", "said", "asked", "asks"]

    static let maxWords = 8

    /// Verbs that start many task titles ("call", "buy", "send"): they tell tasks apart least.
    static let errandVerbs: Set<String> = ["call", "buy", "send", "pay", "book", "renew", "get", "make", "pick", "take", "go", "do", "write",
                                           "email", "fix", "clean", "check", "finish", "submit", "file", "schedule", "order", "return", "visit"]

    static let irregular: [String: String] = [
        "sent": "send", "bought": "buy", "paid": "pay", "did": "do", "done": "do", "went": "go", "got": "get", "made": "make", "took": "take",
        "wrote": "write", "brought": "bring", "told": "tell", "met": "meet", "ran": "run", "fed": "feed", "read": "read", "saw": "see",
        "spoke": "call", "spoken": "call", "talked": "call", "talk": "call", "phoned": "call", "phone": "call", "rang": "call", "ring": "call",
        "mum": "mom", "mother": "mom", "mommy": "mom", "father": "dad", "daddy": "dad", "taxes": "tax", "sorted": "sort", "gone": "go",
        "renewal": "renew", "booking": "book", "appt": "appointment", "flight": "flight", "phoning": "call", "ringing": "call",
        "teeth": "dentist", "tooth": "dentist", "dental": "dentist",
    ]

    /// Words that name any of several title words ("parents" → mom or dad), stemmed.
    static let groupWords: [String: Set<String>] = ["parent": ["mom", "dad"], "folk": ["mom", "dad"], "grandparent": ["grandma", "grandpa"]]

    /// The comparable form of a word.
    static func stem(_ raw: String) -> String {
        var w = raw.lowercased()
        if w.hasSuffix("'s") { w.removeLast(2) }
        if let known = irregular[w] { return known }
        func dedouble(_ s: String) -> String {
            guard s.count >= 3, let last = s.last, s.dropLast().last == last, !"lsz".contains(last) else { return s }
            return String(s.dropLast())
        }
        if w.count > 5, w.hasSuffix("ing") { return dedouble(String(w.dropLast(3))) }
        if w.count > 4, w.hasSuffix("ied") { return String(w.dropLast(3)) + "y" }
        if w.count > 4, w.hasSuffix("ed") {
            let base = String(w.dropLast(2))
            return base.hasSuffix("e") ? base : dedouble(base)
        }
        if w.count > 4, w.hasSuffix("ies") { return String(w.dropLast(3)) + "y" }
        if w.count > 4, w.hasSuffix("xes") || w.hasSuffix("ches") || w.hasSuffix("shes") || w.hasSuffix("sses") { return String(w.dropLast(2)) }
        if w.count > 3, w.hasSuffix("s"), !w.hasSuffix("ss"), !w.hasSuffix("us"), !w.hasSuffix("is") {
            let single = String(w.dropLast())
            return irregular[single] ?? single   // "mums call" → mom
        }
        return w
    }

    /// A past-tense verb ("went", "finished"): it tells what happened, not always which task.
    static func isVerb(_ word: String) -> Bool {
        let w = word.lowercased()
        // Irregular pasts that name the task's own verb ("sent the invoice") must match; the rest may not.
        if ["sent", "bought", "paid", "spoke", "talked", "phoned", "rang"].contains(w) { return false }
        if ["did", "went", "got", "made", "took", "done"].contains(w) { return true }
        return w.count > 4 && w.hasSuffix("ed") && !["need", "speed", "seed", "feed", "bed", "red"].contains(w)
    }

    /// The words of a title that can identify it, stemmed.
    static func titleWords(_ title: String) -> [String] {
        words(title).filter { !ignored.contains($0) }.map(stem)
    }

    /// Lowercased words of a text (letters and digits).
    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "'") }).map(String.init)
    }

    /// Whether a word the user said names a word of a title.
    static func matches(_ query: String, _ title: String) -> Bool {
        if query == title { return true }
        // "the one for my parents": either parent.
        if let members = groupWords[query], members.contains(title) { return true }
        let shorter = min(query.count, title.count)
        if shorter >= 4, query.hasPrefix(title) || title.hasPrefix(query) { return true }
        guard shorter >= 4, abs(query.count - title.count) <= 2 else { return false }
        return distance(query, title) <= (shorter >= 7 ? 2 : 1)
    }

    struct Ranked {
        /// Tasks every word matched.
        var full: [JSONValue]
        /// Tasks some words matched (best first), when none matched fully.
        var partial: [JSONValue]
    }

    /// Ranks `tasks` (list_tasks results) against the user's words (already stemmed or not).
    static func rank(_ query: [String], in tasks: [JSONValue]) -> Ranked {
        // At most 8 words are compared (a reference is a few words; the cost stays small whatever is sent).
        let query = Array(query.filter { $0 != "&" && !ignored.contains(stem($0)) }.prefix(maxWords))
        let wanted = query.map(stem)
        guard !wanted.isEmpty else { return Ranked(full: [], partial: []) }
        // Verbs in the past tense ("went to the gym") may miss the title; the other words may not.
        let required = wanted.indices.filter { !isVerb(query[$0]) }
        var full: [JSONValue] = []
        var scored: [(Int, JSONValue)] = []
        for task in tasks {
            let title = titleWords(task["title"]?.stringValue ?? "")
            let hit = wanted.map { q in title.contains { matches(q, $0) } }
            let hits = hit.filter { $0 }.count
            let complete = required.isEmpty ? hits == wanted.count : required.allSatisfy { hit[$0] }
            if complete { full.append(task) } else if hits > 0 { scored.append((hits, task)) }
        }
        if full.isEmpty {
            // "my accountant has the tax forms now, so that task is done": the message names every
            // word of one title, whatever else it says around it.
            let contained = tasks.filter { task in
                let title = titleWords(task["title"]?.stringValue ?? "")
                return !title.isEmpty && title.allSatisfy { word in wanted.contains { matches($0, word) } }
            }
            if contained.count == 1 { full = contained }
        }
        if full.count > 1 {
            // An exact title wins over titles that merely contain the words.
            let exact = full.filter { titleWords($0["title"]?.stringValue ?? "") == wanted }
            if exact.count == 1 { full = exact }
        }
        let best = scored.map(\.0).max() ?? 0
        return Ranked(full: full, partial: full.isEmpty ? scored.filter { $0.0 == best }.map(\.1) : [])
    }

    /// Optimal string alignment distance (edits, with adjacent transpositions), for words of up
    /// to 40 characters (longer ones are simply "far").
    /// The one title word that `query` is a small typo of ("dentsit" → "dentist", "insurnace" →
    /// "insurance"): one edit or one swap of neighbouring letters, words of five letters or more;
    /// `nil` when none or several fit, or when `query` already is a title word.
    static func typoFix(_ query: String, in tasks: [JSONValue]) -> String? {
        let q = query.lowercased()
        guard q.count >= 5, q.count <= 24 else { return nil }
        var found: Set<String> = []
        for task in tasks {
            for word in words(task["title"]?.stringValue ?? "") where word.count >= 5 && abs(word.count - q.count) <= 1 {
                if word == q || word.hasPrefix(q) { return nil }
                if distance(q, word) == 1 || Utterance.isSwap(q, word) { found.insert(word) }
            }
        }
        return found.count == 1 ? found.first : nil
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        guard x.count <= 40, y.count <= 40 else { return Int.max }
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous2 = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { current[j] = min(current[j], previous2[j - 2] + 1) }
            }
            previous2 = previous
            previous = current
        }
        return previous[y.count]
    }
}
