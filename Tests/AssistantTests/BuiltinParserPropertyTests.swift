@testable import Assistant
import Foundation
import StoaCore
import Testing

/// The built-in assistant's message parser under generated hostile input (a seeded property
/// test: the parser is tangled with the model's types, so it is not a standalone libFuzzer target).
/// Properties: it always returns; whitespace runs do not change the reading; messages longer than
/// the bound are not read as commands at all.
@Suite struct BuiltinParserPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failure names its seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let pieces = ["add", "mark", "done", "not done", "task", "number", "#", "to", "as", "the", "my", "list", "show", "delete",
                         "remind me to", "rename", "reschedule", "due", "tomorrow", "next tuesday", "at 6pm", "2031-06-01", "with note",
                         " - ", ":", "\"", "'", "“", "”", "milk", "é", "🙂", "\u{0}", "\u{200B}", ".", "?", "!", "(", ")", "[", "*", "\\",
                         // Shorthand that expands to two words sharing one place in the text, next to dashes and notes
                         // (a note after a dash once trapped on such a pair).
                         "nvm", "whats", "isnt", "thx", "rm", "gimme", " — ", "–", "note", "add a note on", "the one with a note"]

    static func message(_ rng: inout Generator) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 1...12, using: &rng) {
            text += pieces.randomElement(using: &rng)!
            let gap = Int.random(in: 0...20, using: &rng) == 0 ? Int.random(in: 2...3_000, using: &rng) : 1
            text += String(repeating: [" ", "\t", "\n", "\u{00A0}"].randomElement(using: &rng)!, count: gap)
        }
        return text
    }

    static let context = ModelContext(now: Date(timeIntervalSince1970: 1_900_000_000), timeZone: TimeZone(identifier: "UTC")!)

    @Test("2,000 generated messages: whitespace runs never change the reading", arguments: [UInt64(17), 4_242])
    func whitespaceInvariant(seed: UInt64) {
        var rng = Generator(state: seed)
        for _ in 0..<1_000 {
            let text = Self.message(&rng)
            let collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            #expect(BuiltinModel.parse(text, context: Self.context) == BuiltinModel.parse(collapsed, context: Self.context),
                    "seed \(seed): \(collapsed.prefix(120))")
        }
    }

    @Test("pathological messages are read in bounded time (they finish; the e2e suite times them)") func pathological() {
        let inputs = ["add x" + String(repeating: " ", count: 8_000) + "y", "add " + String(repeating: " ", count: 30_000),
                      "mark " + String(repeating: "a ", count: 15_000) + "done", String(repeating: "add task to ", count: 2_000),
                      "rename " + String(repeating: "x to ", count: 80) + "y", "remind me to " + String(repeating: "\"", count: 390),
                      String(repeating: "mark task number #", count: 20) + " as done"]
        let more = [String(repeating: "'a' ", count: 100), String(repeating: ": ", count: 200), String(repeating: "next ", count: 80),
                    String(repeating: "tommorow ", count: 44), "delete " + String(repeating: "dentst ", count: 56), String(repeating: "1st of december ", count: 25),
                    String(repeating: "“", count: 399), String(repeating: "un-finish ", count: 40), String(repeating: "in 999 weeks ", count: 30)]
        for input in inputs + more { _ = BuiltinModel.parse(input, context: Self.context) }
        #expect(BuiltinModel.parse("add x" + String(repeating: " ", count: 8_000) + "y", context: Self.context)
                == .add(BuiltinModel.NewTask(title: "X y", description: nil, due: nil)))
        #expect(BuiltinModel.parse("add " + String(repeating: "a", count: 401), context: Self.context) == .unknown)
        #expect(BuiltinModel.parse("add " + String(repeating: "a", count: 300), context: Self.context) != .unknown)
    }

    /// Every word users typed in the evaluation sets, alone, first, last and between others: a
    /// word the reader looks around ("late" once looked at the word before the first one and
    /// trapped) must be safe wherever it stands.
    @Test("every word of the evaluation sets, alone and at either end of a message, reads without trapping")
    func everyKnownWordAnywhere() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("StoaServerTests/Fixtures")
        var words = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: fixtures.path) where file.hasPrefix("builtin-eval") && file.hasSuffix(".json") {
            let text = try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8)
            // The "user" strings' words (the whole file's words would do too; these are what users type).
            for line in text.components(separatedBy: "\"user\": \"").dropFirst() {
                let message = line.prefix { $0 != "\"" }
                for word in message.split(whereSeparator: { $0.isWhitespace }) { words.insert(String(word)) }
            }
        }
        #expect(words.count > 1_000)
        for word in words.sorted() {
            for message in [word, "\(word) tasks?", "show \(word)", "\(word) \(word)"] { _ = BuiltinModel.parse(message, context: Self.context) }
        }
    }

    @Test("title matching is bounded: 50 long titles against a long reference") func matcherBounded() {
        let title = String(repeating: "appointmnt dentist insurance ", count: 300)
        let tasks = (0..<50).map { JSONValue.object([("id", .string("\($0)")), ("title", .string(title + "\($0)"))]) }
        let words = Array(repeating: "appointment", count: 200) + ["zzzz"]
        let ranked = TaskMatcher.rank(words, in: tasks)
        #expect(ranked.full.count == 50)
    }

    @Test("typos of command words are corrected, real words and titles are not")
    func typoCorrection() {
        for (typo, word) in [("remvoe", "remove"), ("pospone", "postpone"), ("lsit", "list"), ("serach", "search"), ("renmae", "rename"),
                             ("overveiw", "overview"), ("compelte", "complete"), ("tomorow", "tomorrow"), ("deleet", "delete")] {
            #expect(Utterance.corrected(typo) == word, "\(typo)")
        }
        // Real words near a command word, short words, non-letters and huge words stay as typed.
        for word in ["remote", "compete", "lost", "last", "milk", "list", "lits", "form", "dentist", "insurance", "r3move", "émove", "headline",
                     "computed", "changes", "schedule", "emailing", "uncompleted", "thank", "tanks", "prescription",
                     String(repeating: "x", count: 5_000), "", "a"] {
            #expect(Utterance.corrected(word) == word, "\(word)")
        }
        // A corrected verb changes the reading, not the title cut from the message as typed.
        #expect(Utterance("remvoe the Remvoe parts task")?.lower.first == "remove")
    }
}
