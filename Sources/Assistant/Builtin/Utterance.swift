import Foundation

/// One user message made ready for reading: bounded, whitespace collapsed, quotes and emoji
/// set aside, contractions and chat shorthand spelled out, and split into words and clauses.
///
/// Cost is linear in the message and bounded: a message longer than ``maxCharacters`` is not
/// read as a command at all (it goes to the documents), and nothing here backtracks.
struct Utterance {
    /// The longest message read as a task command.
    static let maxCharacters = 400

    /// A word of the message: `text` lowercased and spelled out ("isn't" → "is", "not"),
    /// `start..<end` where it stands in ``text`` (scalar offsets), and its clause.
    struct Word: Equatable {
        var text: String
        var start: Int
        var end: Int
        var clause: Int
        /// Index of the quoted span this placeholder stands for.
        var quote: Int?
    }

    /// The message as typed, whitespace collapsed (titles and notes are cut from it).
    let text: String
    let words: [Word]
    /// Spans the user put in quotes, as typed.
    let quotes: [String]
    private let scalars: [Unicode.Scalar]

    var lower: [String] { words.map(\.text) }

    /// Reads `raw`; nil when it is longer than ``maxCharacters``.
    init?(_ raw: String) {
        guard let collapsed = Self.collapse(raw) else { return nil }
        text = collapsed
        let scalars = Array(collapsed.unicodeScalars)
        self.scalars = scalars
        var quotes: [String] = []
        var words: [Word] = []
        var clause = 0
        var current = ""
        var currentStart = 0
        func flush(_ end: Int) {
            guard !current.isEmpty else { return }
            for part in Self.spellOut(Self.unstretched(current.lowercased())).map(Self.corrected) {
                words.append(Word(text: part, start: currentStart, end: end, clause: clause))
            }
            current = ""
        }
        func digit(_ s: Unicode.Scalar?) -> Bool { s.map { CharacterSet.decimalDigits.contains($0) } ?? false }
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            let next: Unicode.Scalar? = i + 1 < scalars.count ? scalars[i + 1] : nil
            if let close = Self.closingQuote(for: s, at: i, in: scalars), let end = Self.findClose(close, from: i + 1, in: scalars) {
                flush(i)
                var quoted = String.UnicodeScalarView()
                quoted.append(contentsOf: scalars[(i + 1)..<end])
                let inner = String(quoted).trimmingCharacters(in: .whitespaces)
                if !inner.isEmpty {
                    words.append(Word(text: "\u{1}q", start: i + 1, end: end, clause: clause, quote: quotes.count))
                    quotes.append(inner)
                }
                i = end + 1
                continue
            }
            // "Tax forms -> File taxes": an arrow is a word of its own.
            if s == "→" || s == "-" && next == ">" {
                flush(i)
                words.append(Word(text: "→", start: i, end: i + (s == "-" ? 2 : 1), clause: clause))
                i += s == "-" ? 2 : 1
                continue
            }
            let joins: Bool
            if Self.isWordScalar(s) {
                joins = true
            } else if s == "'" || s == "’" || s == "-" || s == "+" || s == "/" {
                joins = !current.isEmpty && next.map(Self.isWordScalar) == true
            } else if s == "#" {
                joins = current.isEmpty && digit(next)
            } else if s == ":" || s == "." {
                joins = current.last?.isNumber == true && digit(next) && current.allSatisfy(\.isNumber)
            } else {
                joins = false
            }
            if joins {
                if current.isEmpty { currentStart = i }
                current.unicodeScalars.append(s == "’" ? "'" : s)
            } else {
                flush(i)
                if [",", ";", "!", "?", "—", "–", "(", ")"].contains(s) || s == "." && (next == nil || next == " ")
                    || s == "-" && i > 0 && scalars[i - 1] == " " && (next == nil || next == " ") {
                    clause += 1
                }
                if s == ":" { words.append(Word(text: ":", start: i, end: i + 1, clause: clause)) }
            }
            i += 1
        }
        flush(scalars.count)
        // "sold the car last week so remove the insurance task": "so" mid-message starts a clause too.
        for k in words.indices.dropFirst() where words[k].text == "so" && words[k - 1].clause == words[k].clause && k + 1 < words.count {
            for j in k..<words.count { words[j].clause += 1 }
        }
        self.words = words
        self.quotes = quotes
    }

    /// The text from the start of word `from` to the end of word `to` (inclusive), as typed.
    func span(_ from: Int, _ to: Int) -> String {
        guard from <= to, from >= 0, to < words.count else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[words[from].start..<words[to].end])
        return String(view).trimmingCharacters(in: .whitespaces)
    }

    /// Whether an opening bracket stands right before word `index` ("(note: …)").
    func isAfterParenthesis(_ index: Int) -> Bool {
        guard index < words.count else { return false }
        var k = words[index].start - 1
        while k >= 0, scalars[k] == " " { k -= 1 }
        return k >= 0 && scalars[k] == "("
    }

    /// The text after word `index` to the end, as typed.
    /// Clause openers that give a reason or context rather than a request: "…, they rang to
    /// reschedule", "…, that's when the desk is open", "…, I was thinking of cancelling".
    static let contextOpeners: [[String]] = [
        ["because"], ["since"], ["cause"], ["cuz"], ["that", "is", "when"], ["that", "is", "why"], ["they"], ["he"], ["she"],
        ["i", "was"], ["just", "want"], ["just", "wanted"], ["can", "not", "remember"], ["do", "not", "remember"], ["not", "sure"],
        ["i", "think", "i"], ["lol"], ["not"], ["already"], ["im"], ["i", "am"], ["quick", "check"], ["just", "checking"], ["just", "curious"],
        ["i", "do", "not", "need"], ["i", "wanna"], ["i", "want", "to"], ["got", "the"], ["got", "a"], ["got", "an"], ["its"], ["it", "is"],
    ]

    /// The message up to its first context clause (not the first clause, and with no request verb
    /// after it), as typed; nil when it has none.
    /// Phrases that make a later clause a reason wherever they stand in it ("…, trip got cancelled").
    static let contextPhrases: [[String]] = [["got", "cancelled"], ["got", "canceled"], ["was", "cancelled"], ["was", "canceled"],
                                             ["is", "cancelled"], ["fell", "through"], ["no", "longer"], ["got", "called", "off"]]

    /// Whether a later clause states a fact rather than asks anything: a subject, then a verb of
    /// being or happening ("the old policy runs out early", "my accountant is away till then",
    /// "3 isnt enough"), with no date in it (a date there may be the request's own).
    static func isStatement(_ clause: [String]) -> Bool {
        guard clause.count >= 3, clause.count <= 12, let first = clause.first else { return false }
        let subjects: Set<String> = ["the", "my", "her", "his", "our", "their", "its", "this", "that", "we", "it", "you"]
        guard subjects.contains(first) || first.allSatisfy(\.isNumber) else { return false }
        let verbs: Set<String> = ["is", "are", "was", "were", "runs", "ran", "has", "had", "got", "gets", "expires", "expired", "ends", "ended",
                                  "starts", "started", "closes", "closed", "moved", "changed", "said", "says", "told", "went", "broke"]
        guard let v = clause.firstIndex(where: verbs.contains), v >= 1, v <= 4 else { return false }
        return !clause.dropFirst().contains { dateWords.contains($0) || ["by", "done", "finished", "open"].contains($0) || $0.contains(where: \.isNumber) }
    }

    /// Words that give a request's date in a clause of their own (", theyre due saturday").
    static let givesDate: Set<String> = ["due", "tomorrow", "tonight", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Words that put a date in a clause.
    static let dateWords: Set<String> = givesDate.union(["today", "week", "weekend", "month", "deadline"])

    func withoutContext(requestVerbs: Set<String>) -> String? {
        let lower = self.lower
        for k in words.indices.dropFirst() where words[k].clause != words[k - 1].clause {
            let clauseEnd = words[k...].firstIndex { $0.clause != words[k].clause } ?? words.count
            let clause = Array(lower[k..<clauseEnd])
            // ("…, not renewing it" is a reason; "the other one, not mom" is not.)
            guard Self.contextOpeners.contains(where: { opener in
                k + opener.count <= lower.count && Array(lower[k..<(k + opener.count)]) == opener
                    && (opener != ["not"] || clause.count >= 3 || clause.count == 2 && clause[1].hasSuffix("ing"))
            }) || clause.count <= 5 && Self.contextPhrases.contains(where: { phrase in
                clause.indices.contains { i in i + phrase.count <= clause.count && Array(clause[i..<(i + phrase.count)]) == phrase }
            }) || Self.isStatement(clause) else { continue }
            // (", theyre due saturday": a clause that gives the date is part of the request.)
            guard !clause.contains(where: Self.givesDate.contains) else { continue }
            // A request after the context clause ("…, because it's paid, so delete it") keeps it all.
            guard !lower[clauseEnd...].contains(where: { requestVerbs.contains($0) }) else { return nil }
            return span(0, k - 1)
        }
        return nil
    }

    func rest(after index: Int) -> String {
        guard index + 1 < words.count else { return "" }
        return span(index + 1, words.count - 1)
    }

    /// The message with whitespace runs collapsed and emoji dropped; nil past the bound
    /// (looked at without reading far past it).
    static func collapse(_ raw: String) -> String? {
        var out = String.UnicodeScalarView()
        var count = 0
        var pendingSpace = false
        for scalar in raw.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .format {
                pendingSpace = !out.isEmpty
                continue
            }
            if [0x2705, 0x2714, 0x2713, 0x2611].contains(scalar.value) {   // ✅ ✔ ✓ ☑ read as "done"
                for s in " done ".unicodeScalars { out.append(s) }
                count += 6
                continue
            }
            if scalar.properties.isEmojiPresentation || scalar.value >= 0x1F000 || scalar.value == 0xFE0F { continue }
            if pendingSpace { out.append(" "); count += 1; pendingSpace = false }
            out.append(scalar)
            count += 1
            if count > maxCharacters * 2 { return nil }
        }
        let text = String(out)
        return text.count > maxCharacters ? nil : text
    }

    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || CharacterSet.decimalDigits.contains(s)
    }

    /// A quote opens at the start, after a space, colon or bracket; an apostrophe inside a
    /// word ("don't") is not a quote.
    static func closingQuote(for s: Unicode.Scalar, at i: Int, in scalars: [Unicode.Scalar]) -> Unicode.Scalar? {
        let pairs: [Unicode.Scalar: Unicode.Scalar] = ["\"": "\"", "“": "”", "„": "“", "‘": "’", "'": "'", "«": "»"]
        guard let close = pairs[s] else { return nil }
        if i > 0, isWordScalar(scalars[i - 1]) { return nil }
        return close
    }

    /// The closing quote, which must end a word (followed by the end, a space or punctuation).
    static func findClose(_ close: Unicode.Scalar, from start: Int, in scalars: [Unicode.Scalar]) -> Int? {
        var j = start
        while j < scalars.count {
            if scalars[j] == close || close == "”" && scalars[j] == "\"" || close == "\"" && scalars[j] == "”" {
                if j + 1 == scalars.count || !isWordScalar(scalars[j + 1]) { return j > start ? j : nil }
            }
            j += 1
        }
        return nil
    }

    /// A word typed with a letter held down, back to its plain spelling: "hiii" → "hi", "pleeease"
    /// → "please", "sooo" → "so", "cooool" → "cool". A run of three or more letters becomes one
    /// letter when that spells a word the reader knows, else two.
    static func unstretched(_ word: String) -> String {
        let letters = Array(word)
        var hasRun = false
        var k = 0
        while k + 2 < letters.count {
            if letters[k] == letters[k + 1], letters[k] == letters[k + 2], letters[k].isLetter { hasRun = true; break }
            k += 1
        }
        guard hasRun else { return word }
        func squeezed(to keep: Int) -> String {
            var out: [Character] = []
            var i = 0
            while i < letters.count {
                var j = i
                while j < letters.count, letters[j] == letters[i] { j += 1 }
                out.append(contentsOf: repeatElement(letters[i], count: j - i >= 3 ? keep : j - i))
                i = j
            }
            return String(out)
        }
        let one = squeezed(to: 1)
        if shorthand[one] != nil || commandVocabularySet.contains(one) || BuiltinModel.filler.contains(one) || stretchable.contains(one) { return one }
        return squeezed(to: 2)
    }

    /// Everyday words people stretch ("yesss", "nooo", "byeee") that are not command words.
    static let stretchable: Set<String> = ["hi", "hey", "yes", "yeah", "yay", "no", "nope", "so", "bye", "ugh", "lol", "omg", "wow", "hmm", "oh",
                                           "ok", "okay", "please", "thanks", "yo", "sup", "hiya", "love", "much", "great", "nice", "done", "finally", "ah", "aw"]

    /// Contractions and chat shorthand as plain words.
    static func spellOut(_ word: String) -> [String] {
        let word = word.hasSuffix("'s") && !["let's"].contains(word) ? String(word.dropLast(2)) + (["what", "that", "it", "there", "who", "here", "one", "how"].contains(String(word.dropLast(2))) ? " is" : "") : word
        if word.contains(" ") { return word.split(separator: " ").map(String.init) }
        if let known = shorthand[word] { return known }
        if word.hasSuffix("n't") { return [String(word.dropLast(3)) == "ca" ? "can" : String(word.dropLast(3)) == "wo" ? "will" : String(word.dropLast(3)), "not"] }
        if word.hasSuffix("'ve") { return [String(word.dropLast(3)), "have"] }
        if word.hasSuffix("'ll") { return [String(word.dropLast(3)), "will"] }
        if word.hasSuffix("'re") { return [String(word.dropLast(3)), "are"] }
        if word.hasSuffix("'m") { return [String(word.dropLast(2)), "am"] }
        if word.hasSuffix("'d") { return [String(word.dropLast(2)), "would"] }
        return [word]
    }

    /// The command words a typo is corrected to ("remvoe" → "remove", "pospone" → "postpone",
    /// "lsit" → "list"): only these, so titles and everyday words are never "corrected". A word is
    /// corrected when it is one swap of neighbouring letters away (any of these words), one
    /// letter short or one letter extra (words of six letters or more); and never when it is a
    /// real word (``notTypos``).
    static let commandVocabulary: [String] = [
        "remove", "remind", "check", "delete", "rename", "postpone", "reschedule", "search", "list", "tasks", "overview", "complete", "completed",
        "uncomplete", "finished", "change", "update", "display", "reopen", "unmark", "uncheck", "untick", "tomorrow", "ticked",
        "checked", "cancel", "anything", "which", "task", "move", "thanks", "show", "description", "deadline", "outstanding", "remaining", "unfinished", "incomplete", "overdue", "upcoming",
    ]
    static let commandVocabularySet = Set(commandVocabulary)
    /// Real words the rules above would "correct": every word of Debian's `wamerican` word list
    /// that they change (checked with the list when the vocabulary changes), and a few more.
    static let notTypos: Set<String> = [
        "anythings", "cancels", "chancel", "chang", "changed", "changes", "compete", "competed", "complected", "completer",
        "completes", "deadlines", "deleted", "deletes", "deplete", "descriptions", "displays", "hanks", "overviews",
        "postponed", "postpones", "removed", "remover", "removes", "renamed", "renames", "reopens", "rescheduled",
        "reschedules", "tanks", "thank", "tickled", "tomorrows", "tricked", "uncompleted", "updated", "updater", "updates",
        "remote", "reminds", "rewind", "listed", "lists", "lits", "silt", "slit", "canceled", "checker", "ticket", "tickets"
    ]

    /// `word`, or the command word it is a typo of.
    static func corrected(_ word: String) -> String {
        let n = word.utf8.count
        guard n >= 4, n <= 12, !commandVocabularySet.contains(word), !notTypos.contains(word),
              word.utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else { return word }
        for candidate in commandVocabulary {
            let m = candidate.utf8.count
            guard abs(m - n) <= 1 else { continue }
            guard TaskMatcher.distance(word, candidate) == 1 else { continue }
            if m == n {
                // Same length: only a swap of neighbours ("one wrong letter" turned real words such as
                // "headline" and "computed" into commands).
                if isSwap(word, candidate) { return candidate }
            } else if m >= 6 {
                return candidate
            }
        }
        return word
    }

    /// Whether `a` is `b` with two neighbouring letters swapped.
    static func isSwap(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, let i = x.indices.first(where: { x[$0] != y[$0] }), i + 1 < x.count else { return false }
        return x[i] == y[i + 1] && x[i + 1] == y[i] && x[(i + 2)...] == y[(i + 2)...]
    }

    static let shorthand: [String: [String]] = [
        "isnt": ["is", "not"], "arent": ["are", "not"], "dont": ["do", "not"], "doesnt": ["does", "not"], "didnt": ["did", "not"],
        "wasnt": ["was", "not"], "shouldnt": ["should", "not"], "couldnt": ["could", "not"], "wouldnt": ["would", "not"], "mustnt": ["must", "not"], "havent": ["have", "not"], "hasnt": ["has", "not"], "cant": ["can", "not"], "wont": ["will", "not"],
        "whats": ["what", "is"], "thats": ["that", "is"], "ive": ["i", "have"], "im": ["i", "am"], "ill": ["i", "will"],
        "gimme": ["give", "me"], "pls": ["please"], "plz": ["please"], "plese": ["please"], "pleas": ["please"], "pleae": ["please"], "thx": ["thanks"], "ty": ["thanks"], "u": ["you"], "ur": ["your"],
        "todo": ["todo"], "to-do": ["todo"], "to-dos": ["todos"], "un-finish": ["unfinish"], "un-done": ["undone"], "un-complete": ["uncomplete"], "un-do": ["undo"], "re-open": ["reopen"], "un-check": ["uncheck"],
        "un-tick": ["untick"], "tmrw": ["tomorrow"], "tmr": ["tomorrow"], "tmw": ["tomorrow"], "2moro": ["tomorrow"], "2day": ["today"],
        "incl": ["including"], "wht": ["what"], "rn": [], "atm": [], "wat": ["what"], "whta": ["what"], "wats": ["what", "is"], "nvm": ["never", "mind"], "rm": ["remove"], "del": ["delete"], "mv": ["move"],
        "nevermind": ["never", "mind"], "tmro": ["tomorrow"], "2morrow": ["tomorrow"], "b4": ["before"], "pls.": ["please"], "w/": ["with"], "w": ["with"], "ad": ["add"], "em": ["them"], "abt": ["about"], "teh": ["the"], "wich": ["which"], "whens": ["when", "is"], "stil": ["still"], "lets": ["let", "us"], "let's": ["let", "us"], "whcih": ["which"], "nxt": ["next"], "frm": ["from"], "giv": ["give"], "tickd": ["ticked"], "thru": ["through"], "cuz": ["because"], "bc": ["because"], "idk": [], "asap": [], "hows": ["how", "is"], "ls": ["list"], "gm": ["good", "morning"], "k": ["ok"], "realy": ["really"], "kk": ["ok"], "hes": ["he", "is"], "shes": ["she", "is"], "theyre": ["they", "are"], "wk": ["week"], "wks": ["weeks"], "chek": ["check"], "chck": ["check"], "descr": ["description"], "goodnite": ["goodnight"], "nite": ["night"], "r": ["are"], "fr": [], "tbh": [], "ngl": [], "lowkey": [], "highkey": [], "lmk": ["let", "me", "know"], "actualy": ["actually"], "remark": ["note"], "remarks": ["notes"], "amend": ["change"], "evrything": ["everything"], "everyting": ["everything"], "heyy": ["hey"], "hii": ["hi"], "youre": ["you", "are"], "whatsup": ["what", "is", "up"], "wassup": ["what", "is", "up"],
    ]

    /// The indices of the words of one clause.
    func clause(_ index: Int) -> [Int] { words.indices.filter { words[$0].clause == index } }

    var clauseCount: Int { (words.last?.clause ?? -1) + 1 }

    /// Whether the words contain `phrase` (space-separated) as consecutive words.
    static func contains(_ words: [String], _ phrase: String) -> Bool { find(words, phrase) != nil }

    /// Where `phrase` (space-separated words, `*` matching any one word) starts in `words`.
    static func find(_ words: [String], _ phrase: String, from start: Int = 0) -> Int? {
        // Most phrases are absent: look for the first word before splitting the phrase.
        let head = phrase.prefix { $0 != " " }
        guard words.contains(where: { $0 == head }) else { return nil }
        let parts = phrase.split(separator: " ").map(String.init)
        guard !parts.isEmpty, words.count >= parts.count, start <= words.count - parts.count else { return nil }
        outer: for i in start...(words.count - parts.count) {
            for (k, part) in parts.enumerated() where part != "*" && words[i + k] != part { continue outer }
            return i
        }
        return nil
    }
}
