import Assistant
import Foundation
import StoaCore
import Synchronization
import Tasks
import Testing

/// The built-in assistant's evaluation set (`Fixtures/builtin-eval.json`, issue 19) run through
/// the real chat route, `POST /api/conversations/{id}/messages`, of an in-process app.
///
/// Every case gets a fresh user whose tasks are the fixture's `seed`, a fresh conversation and
/// the clock at the fixture's `now`; each turn is sent with the case's `X-Timezone`. A turn
/// passes when its tool calls, `list_status`, `list_query` and `reply_mentions` meet the
/// fixture's `_doc`; a case passes when every turn does and the user's tasks afterwards are
/// exactly `seed` + `changes`. The suite prints the pass rate of the dev and the test half
/// (and per category), and expects both halves (and every extra development set) to reach ``goal``.
///
/// Only dev cases are printed in detail. Test cases are held out: a failure shows only its id
/// and category, so their phrasings stay unseen by whoever tunes the parser.
@Suite struct BuiltinEvalTests {
    /// The pass rate each half must reach (issue 19's goal).
    static let goal = 0.95

    /// The extra development sets (`builtin-eval-<name>.json`, split `<name>`).
    static let extraSets = ["extra", "extra2", "extra3", "extra4", "extra5", "extra6", "extra7", "extra8", "extra9", "extra10", "extra11", "extra12", "extra13", "extra14", "extra15", "extra16", "extra17", "extra18", "extra19", "extra20", "extra21", "extra22", "extra23", "extra24", "extra25", "extra26", "extra27", "extra28", "extra29", "extra30", "extra31", "extra32", "extra33", "extra34", "extra35", "extra36", "extra37", "extra38", "extra39", "extra40", "extra41", "extra42", "extra43", "extra44", "extra45", "extra46", "extra47", "extra48", "extra49", "extra50", "extra51", "extra52", "extra53", "extra54", "extra55", "extra56", "extra57", "extra58", "extra59", "extra60", "extra61", "extra62", "extra63", "extra64"]

    /// `STOA_EVAL_VERBOSE=1` prints every dev case's turns, passed or not (never a test case's).
    static let verbose = ProcessInfo.processInfo.environment["STOA_EVAL_VERBOSE"] == "1"

    @Test("built-in assistant: the evaluation set's dev and test halves pass at the goal rate")
    func builtinEval() async throws {
        let fixture = try EvalFixture.load()
        // Independent development sets, each written apart from the others (split = its name).
        let extras = try Self.extraSets.map { try EvalFixture.load("builtin-eval-\($0).json", split: $0) }
        let results = Results()
        try await TestApp.run(model: BuiltinModel()) { client, app in
            for set in [fixture] + extras {
                for evalCase in set.cases {
                    let outcome = try await Self.run(evalCase, fixture: set, client: client, app: app)
                    results.add(evalCase, outcome)
                }
            }
        }
        let dev = results.report(split: "dev")
        for name in Self.extraSets {
            let report = results.report(split: name)
            #expect(report.rate >= Self.goal, "\(name) dev pass rate \(report.percent) is below \(Self.goal * 100)%")
        }
        let test = results.report(split: "test")
        #expect(dev.total > 0 && test.total > 0, "the fixture should have cases in both halves")
        #expect(dev.rate >= Self.goal, "dev pass rate \(dev.percent) is below \(Self.goal * 100)%")
        // The held-out half is never tuned on (its failures print only ids): it reached the goal
        // on 2026-12-07 (137 of 144) and must stay there.
        #expect(test.rate >= Self.goal, "held-out test pass rate \(test.percent) is below \(Self.goal * 100)%")
    }

    @Test("the harness's own rules: tool sequences, titles, dues, list arguments and the final state")
    func harnessRules() throws {
        // Extra list_tasks anywhere; nothing else extra, missing or out of order.
        #expect(EvalExpect.toolsMatch(expected: ["complete_task"], actual: ["list_tasks", "complete_task", "list_tasks"]))
        #expect(EvalExpect.toolsMatch(expected: [], actual: ["list_tasks"]))
        #expect(EvalExpect.toolsMatch(expected: ["list_tasks"], actual: ["list_tasks", "list_tasks"]))
        #expect(!EvalExpect.toolsMatch(expected: [], actual: ["search_documents"]))
        #expect(!EvalExpect.toolsMatch(expected: [], actual: ["update_task"]))
        #expect(!EvalExpect.toolsMatch(expected: ["list_tasks", "complete_task"], actual: ["complete_task"]))
        #expect(!EvalExpect.toolsMatch(expected: ["list_tasks", "complete_task"], actual: ["complete_task", "list_tasks"]))
        #expect(!EvalExpect.toolsMatch(expected: ["complete_task", "complete_task"], actual: ["complete_task"]))
        #expect(!EvalExpect.toolsMatch(expected: ["update_task"], actual: ["update_task", "update_task"]))
        #expect(!EvalExpect.toolsMatch(expected: ["add_task", "complete_task"], actual: ["complete_task", "add_task"]))

        #expect(Self.normalizedTitle("  “Buy Milk!!” 🥛 ") == "buy milk")
        #expect(Self.normalizedTitle("'pick up parcel'.") == "pick up parcel")
        #expect(Self.normalizedTitle("Send invoice #1042 to ACME") == "send invoice #1042 to acme")
        #expect(!Self.sameTitle("buy oat milk", "buy milk"))

        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        let utc = try #require(TimeZone(identifier: "UTC"))
        let lateUTC = try #require(ISO8601.date(from: "2026-11-19T20:00:00Z"))
        #expect(Self.sameDue(lateUTC, try EvalDue("2026-11-19"), in: utc))
        #expect(Self.sameDue(lateUTC, try EvalDue("2026-11-20"), in: tokyo))
        #expect(!Self.sameDue(lateUTC, try EvalDue("2026-11-19"), in: tokyo))
        #expect(Self.sameDue(lateUTC, try EvalDue("2026-11-20T05:00:00+09:00"), in: utc))
        #expect(!Self.sameDue(lateUTC, try EvalDue("2026-11-19T20:00:00+01:00"), in: utc))
        #expect(!Self.sameDue(nil, try EvalDue("2026-11-19"), in: utc))
        #expect(Self.sameDue(nil, nil, in: utc))

        let expect = EvalExpect(tools: ["list_tasks"], listStatus: "open", listQuery: "call", replyMentions: ["Call mom"])
        func call(_ arguments: [(String, JSONValue)]) -> ToolCallRecord { ToolCallRecord(name: "list_tasks", arguments: .object(arguments)) }
        #expect(expect.problems(calls: [call([("q", .string("Calls"))])], reply: "1. call MOM").isEmpty)
        #expect(expect.problems(calls: [call([("status", .string("open")), ("q", .string("ca"))])], reply: "Call mom").isEmpty)
        #expect(expect.problems(calls: [call([("status", .string("all")), ("q", .string("call"))])], reply: "Call mom").count == 1)
        #expect(expect.problems(calls: [call([("status", .string("open"))])], reply: "Call mom").count == 1)
        #expect(expect.problems(calls: [call([("q", .string("call"))])], reply: "Call dad").count == 1)

        // The final state: seed + changes, everything else unchanged.
        let fixture = try EvalFixture.load()
        let now = fixture.now
        let evalCase = EvalCase(id: "x", split: "dev", category: "x", timeZoneName: "UTC", timeZone: utc, turns: [], changes: EvalChanges(
            completed: ["Buy milk"], reopened: ["Pay rent"], deleted: ["Gym membership"],
            updated: [EvalUpdate(title: "Renew car insurance", newTitle: nil, due: .some(try EvalDue("2026-12-07")), description: .some(nil))],
            added: [EvalAdded(title: "call grandma", due: try EvalDue("2026-11-22"), description: nil)]))
        let ids = fixture.seed.indices.map { "seed\($0)" }
        func expectedFinal() throws -> [TaskItem] {
            var tasks = try zip(fixture.seed, ids).map { seed, id in
                TaskItem(id: id, title: seed.title, description: seed.description, completed: seed.completed,
                         dueAt: try seed.due.map { try $0.storedDate(in: utc) }, createdAt: now, updatedAt: now)
            }
            tasks.removeAll { $0.title == "Gym membership" }
            for index in tasks.indices {
                switch tasks[index].title {
                case "Buy milk": tasks[index].completed = true
                case "Pay rent": tasks[index].completed = false
                case "Renew car insurance": tasks[index].dueAt = try EvalDue("2026-12-07").storedDate(in: utc); tasks[index].description = nil
                default: break
                }
            }
            tasks.append(TaskItem(id: "new", title: "Call grandma.", description: nil, completed: false,
                                  dueAt: try EvalDue("2026-11-22").storedDate(in: utc), createdAt: now, updatedAt: now))
            return tasks
        }
        func problems(_ change: (inout [TaskItem]) throws -> Void) throws -> [String] {
            var tasks = try expectedFinal()
            try change(&tasks)
            return Self.stateProblems(final: tasks, seedIDs: ids, evalCase: evalCase, fixture: fixture)
        }
        #expect(try problems { _ in } == [])
        #expect(try problems { $0[0].completed = false }.count == 1)
        #expect(try problems { $0[1].title = "Call mum" }.count == 1)
        #expect(try problems { $0[1].dueAt = nil }.count == 1)
        #expect(try problems { $0[1].description = "x" }.count == 1)
        #expect(try problems { $0.remove(at: 1) }.count == 1)
        #expect(try problems { $0.append(TaskItem(id: "extra", title: "x", description: nil, completed: false, dueAt: nil, createdAt: now, updatedAt: now)) }.count == 1)
        #expect(try problems { $0.removeAll { $0.id == "new" } }.count == 1)
        #expect(try problems { tasks in
            tasks.append(TaskItem(id: "seed8", title: "Gym membership", description: nil, completed: false, dueAt: nil, createdAt: now, updatedAt: now))
        }.count == 1)
    }

    // MARK: - Running one case

    /// What went wrong in one case (empty: it passed).
    struct Outcome {
        var problems: [String] = []
        /// The turns as they happened, for a dev case's failure report.
        var transcript: [String] = []
        var passed: Bool { problems.isEmpty }
    }

    static func run(_ evalCase: EvalCase, fixture: EvalFixture, client: TestApp.Client, app: TestApp) async throws -> Outcome {
        var outcome = Outcome()
        app.clock.set(fixture.now)
        let user = try await APIUser.direct(client, app, "eval-\(evalCase.id)@x.io")

        // The seed, oldest first, one second apart, so that the newest-first list is the seed's order.
        var seedIDs: [String] = []
        for (offset, seed) in fixture.seed.reversed().enumerated() {
            let at = fixture.now.addingTimeInterval(Double(offset - 100))
            let due = try seed.due.map { try $0.storedDate(in: evalCase.timeZone) }
            let task = try await app.services.tasks.create(userID: user.id, title: seed.title, description: seed.description, dueAt: due, at: at)
            if seed.completed {
                _ = try await app.services.tasks.update(userID: user.id, id: task.id, title: nil, description: nil, completed: true, dueAt: nil, at: at)
            }
            seedIDs.append(task.id)
        }
        seedIDs.reverse()

        let conversation = try await user.createConversation()
        guard !conversation.isEmpty else { throw EvalError("\(evalCase.id): POST /api/conversations gave no id") }
        let headers = ["Authorization": "Bearer \(user.token)", "X-Timezone": evalCase.timeZoneName]

        for (index, turn) in evalCase.turns.enumerated() {
            app.clock.advance(by: 1)
            let body = JSONValue.object([("content", .string(turn.user))]).serialized
            let reply = try await client.request(.post, "/api/conversations/\(conversation)/messages", json: body, headers: headers)
            let label = "turn \(index + 1)"
            guard reply.status == 201, let message = reply.json?["assistantMessage"] else {
                outcome.problems.append("\(label): HTTP \(reply.status) \(reply.text.prefix(200))")
                outcome.transcript.append("\(label) user: \(turn.user)\n    HTTP \(reply.status)")
                break
            }
            let calls = ToolCallRecord.list(message["toolCalls"])
            let content = message["content"]?.stringValue ?? ""
            outcome.transcript.append("""
                \(label) user: \(turn.user)
                    expected: \(turn.expect.summary)
                    calls: \(calls.isEmpty ? "none" : calls.map(\.summary).joined(separator: "; "))
                    reply: \(content.replacingOccurrences(of: "\n", with: " ⏎ ").prefix(400))
                """)
            outcome.problems += turn.expect.problems(calls: calls, reply: content).map { "\(label): \($0)" }
        }

        let final = try await app.services.tasks.list(userID: user.id, status: .all, query: nil, page: PageRequest(limit: 100)).items
        outcome.problems += stateProblems(final: final, seedIDs: seedIDs, evalCase: evalCase, fixture: fixture)
        return outcome
    }

    /// `changes` is the whole expected final state relative to the seed (`_doc`).
    static func stateProblems(final: [TaskItem], seedIDs: [String], evalCase: EvalCase, fixture: EvalFixture) -> [String] {
        var problems: [String] = []
        let zone = evalCase.timeZone
        let changes = evalCase.changes
        for (seed, id) in zip(fixture.seed, seedIDs) {
            let name = seed.title
            let deleted = changes.deleted.contains { sameTitle($0, name) }
            guard let task = final.first(where: { $0.id == id }) else {
                if !deleted { problems.append("state: '\(name)' was deleted") }
                continue
            }
            if deleted { problems.append("state: '\(name)' should be deleted"); continue }
            var completed = seed.completed
            if changes.completed.contains(where: { sameTitle($0, name) }) { completed = true }
            if changes.reopened.contains(where: { sameTitle($0, name) }) { completed = false }
            let update = changes.updated.first { sameTitle($0.title, name) }
            let title = update?.newTitle ?? seed.title
            let due = update?.due ?? seed.due
            let description = update?.description ?? seed.description
            if task.completed != completed {
                problems.append("state: '\(name)' completed is \(task.completed), expected \(completed)")
            }
            if !sameTitle(task.title, title) { problems.append("state: '\(name)' title is '\(task.title)', expected '\(title)'") }
            if !sameDue(task.dueAt, due, in: zone) {
                problems.append("state: '\(name)' due is \(describe(task.dueAt, in: zone)), expected \(due?.text ?? "none")")
            }
            if !sameDescription(task.description, description) {
                problems.append("state: '\(name)' description is \(quoted(task.description)), expected \(quoted(description))")
            }
        }
        // The new tasks, matched to `added` by title.
        var fresh = final.filter { !seedIDs.contains($0.id) }
        for added in changes.added {
            guard let index = fresh.firstIndex(where: { sameTitle($0.title, added.title) }) else {
                problems.append("state: no new task '\(added.title)'")
                continue
            }
            let task = fresh.remove(at: index)
            if !sameDue(task.dueAt, added.due, in: zone) {
                problems.append("state: new '\(added.title)' due is \(describe(task.dueAt, in: zone)), expected \(added.due?.text ?? "none")")
            }
            if !sameDescription(task.description, added.description) {
                problems.append("state: new '\(added.title)' description is \(quoted(task.description)), expected \(quoted(added.description))")
            }
            if task.completed { problems.append("state: new '\(added.title)' is completed") }
        }
        for task in fresh {
            problems.append("state: unexpected new task '\(task.title)' (due \(describe(task.dueAt, in: zone)), description \(quoted(task.description)))")
        }
        return problems
    }

    // MARK: - Comparisons

    /// Titles compare case-insensitively after trimming whitespace, surrounding quotes, trailing
    /// punctuation and emoji (`_doc`).
    static func normalizedTitle(_ title: String) -> String {
        let quotes: Set<Character> = ["\"", "'", "`", "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "«", "»"]
        let punctuation: Set<Character> = [".", ",", "!", "?", ";", ":", "…"]
        func isEmoji(_ c: Character) -> Bool {
            c.unicodeScalars.contains { $0.properties.isEmojiPresentation || $0.value == 0xFE0F || $0.value == 0x200D }
                || c.unicodeScalars.allSatisfy { $0.properties.isEmoji && $0.value > 0x7F }
        }
        var text = Substring(title)
        while true {
            let before = text
            text = text.drop { $0.isWhitespace }
            while let last = text.last, last.isWhitespace || punctuation.contains(last) || isEmoji(last) { text = text.dropLast() }
            if let first = text.first, let last = text.last, text.count >= 2, quotes.contains(first), quotes.contains(last) {
                text = text.dropFirst().dropLast()
            }
            if text == before { break }
        }
        return text.lowercased()
    }

    static func sameTitle(_ a: String, _ b: String) -> Bool { normalizedTitle(a) == normalizedTitle(b) }

    /// Descriptions compare exactly after trimming whitespace; empty counts as none.
    static func sameDescription(_ actual: String?, _ expected: String?) -> Bool {
        func clean(_ s: String?) -> String? {
            guard let s = s?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty else { return nil }
            return s
        }
        return clean(actual) == clean(expected)
    }

    /// A date-only due compares the calendar date in the case's zone; a timed one the instant.
    static func sameDue(_ actual: Date?, _ expected: EvalDue?, in zone: TimeZone) -> Bool {
        switch (actual, expected) {
        case (nil, nil): return true
        case (nil, _?), (_?, nil): return false
        case (let actual?, let expected?):
            switch expected {
            case .day(let year, let month, let day):
                let parts = calendar(zone).dateComponents([.year, .month, .day], from: actual)
                return parts.year == year && parts.month == month && parts.day == day
            case .instant(let date, _):
                return abs(actual.timeIntervalSince(date)) < 0.5
            }
        }
    }

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    static func describe(_ date: Date?, in zone: TimeZone) -> String {
        guard let date else { return "none" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssxxx"
        return formatter.string(from: date)
    }

    static func quoted(_ s: String?) -> String { s.map { "'\($0)'" } ?? "none" }

    // MARK: - Results

    /// Outcomes by case, and the printed report.
    final class Results: Sendable {
        private let entries = Mutex<[(EvalCase, Outcome)]>([])
        func add(_ evalCase: EvalCase, _ outcome: Outcome) { entries.withLock { $0.append((evalCase, outcome)) } }

        struct Rate {
            let passed: Int
            let total: Int
            var rate: Double { total == 0 ? 0 : Double(passed) / Double(total) }
            var percent: String { String(format: "%.1f%%", rate * 100) }
        }

        /// Prints one half's rate, its categories and its failures (details for dev only).
        func report(split: String) -> Rate {
            let half = entries.withLock { $0.filter { $0.0.split == split } }
            let rate = Rate(passed: half.filter { $0.1.passed }.count, total: half.count)
            var lines = ["builtin eval \(split): \(rate.passed)/\(rate.total) (\(rate.percent))"]
            var categories: [String] = []
            for (evalCase, _) in half where !categories.contains(evalCase.category) { categories.append(evalCase.category) }
            for category in categories {
                let inCategory = half.filter { $0.0.category == category }
                lines.append("  \(split) \(category): \(inCategory.filter { $0.1.passed }.count)/\(inCategory.count)")
            }
            for (evalCase, outcome) in half where !outcome.passed || (split != "test" && BuiltinEvalTests.verbose) {
                if split != "test" {
                    lines.append("  \(outcome.passed ? "PASS" : "FAIL") \(evalCase.id) (\(evalCase.category), \(evalCase.timeZoneName))")
                    lines += outcome.transcript.map { "    " + $0 }
                    lines += outcome.problems.map { "    ✗ " + $0 }
                } else {
                    // Held out: never show a test case's phrasing or details.
                    lines.append("  FAIL \(evalCase.id) (\(evalCase.category))")
                }
            }
            print(lines.joined(separator: "\n"))
            return rate
        }
    }
}

// MARK: - The fixture

extension BuiltinEvalTests {

    struct EvalError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A due date in the fixture: a calendar day, or an instant when a time was said.
    enum EvalDue {
        case day(year: Int, month: Int, day: Int)
        case instant(Date, text: String)

        init(_ text: String) throws {
            let parts = text.split(separator: "-")
            if text.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) {
                self = .day(year: y, month: m, day: d)
            } else if let date = ISO8601.date(from: text) {
                self = .instant(date, text: text)
            } else {
                throw EvalError("bad due date '\(text)'")
            }
        }

        var text: String {
            switch self {
            case .day(let y, let m, let d):
                func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
                return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
            case .instant(_, let text): return text
            }
        }

        /// How the seed stores it: a day at 09:00 in the case's zone.
        func storedDate(in zone: TimeZone) throws -> Date {
            switch self {
            case .instant(let date, _): return date
            case .day(let y, let m, let d):
                guard let date = BuiltinEvalTests.calendar(zone).date(from: DateComponents(year: y, month: m, day: d, hour: 9)) else {
                    throw EvalError("cannot store due \(text) in \(zone.identifier)")
                }
                return date
            }
        }
    }

    struct EvalSeed {
        let title: String
        let completed: Bool
        let due: EvalDue?
        let description: String?
    }

    /// One `updated` entry: absent fields stay as they were; a null `due`/`description` clears it.
    struct EvalUpdate {
        let title: String
        let newTitle: String?
        let due: EvalDue??
        let description: String??
    }

    struct EvalAdded {
        let title: String
        let due: EvalDue?
        let description: String?
    }

    struct EvalChanges {
        var completed: [String] = []
        var reopened: [String] = []
        var deleted: [String] = []
        var updated: [EvalUpdate] = []
        var added: [EvalAdded] = []
    }

    /// One tool call from `assistantMessage.toolCalls`.
    struct ToolCallRecord {
        let name: String
        let arguments: JSONValue

        static func list(_ json: JSONValue?) -> [ToolCallRecord] {
            guard case .array(let items)? = json else { return [] }
            return items.map { ToolCallRecord(name: $0["name"]?.stringValue ?? "?", arguments: $0["arguments"] ?? .object([])) }
        }

        var summary: String { "\(name)(\(arguments.serialized))" }
    }

    struct EvalExpect {
        let tools: [String]
        let listStatus: String?
        let listQuery: String?
        let replyMentions: [String]

        var summary: String {
            var parts = ["tools \(tools)"]
            if let listStatus { parts.append("status \(listStatus)") }
            if let listQuery { parts.append("q \(listQuery)") }
            if !replyMentions.isEmpty { parts.append("mentions \(replyMentions)") }
            return parts.joined(separator: ", ")
        }

        /// The turn's checks (`_doc`): the exact tool sequence with extra `list_tasks` tolerated
        /// anywhere, status and query on a `list_tasks` call, the reply's mentions.
        func problems(calls: [ToolCallRecord], reply: String) -> [String] {
            var problems: [String] = []
            let names = calls.map(\.name)
            if !Self.toolsMatch(expected: tools, actual: names) {
                problems.append("tools \(names), expected \(tools)")
            }
            let lists = calls.filter { $0.name == "list_tasks" }
            if listStatus != nil || listQuery != nil {
                let matched = lists.contains { call in
                    let status: String
                    if case .string(let s)? = call.arguments["status"] { status = s } else { status = "open" }
                    if let listStatus, status != listStatus { return false }
                    if let listQuery {
                        guard let q = call.arguments["q"]?.stringValue?.trimmingCharacters(in: .whitespaces).lowercased(), !q.isEmpty else { return false }
                        let wanted = listQuery.lowercased()
                        if !q.contains(wanted) && !wanted.contains(q) { return false }
                    }
                    return true
                }
                if !matched {
                    let shown = lists.map { "status=\($0.arguments["status"]?.stringValue ?? "open") q=\($0.arguments["q"]?.stringValue ?? "-")" }
                    problems.append("no list_tasks call with\(listStatus.map { " status=\($0)" } ?? "")\(listQuery.map { " q~\($0)" } ?? "") (got \(shown))")
                }
            }
            let lowered = reply.lowercased()
            let missing = replyMentions.filter { !lowered.contains($0.lowercased()) }
            if !missing.isEmpty { problems.append("reply does not mention \(missing)") }
            return problems
        }

        /// `expected` must be the actual sequence once some `list_tasks` calls are deleted.
        /// Greedy matching is exact here: the only calls that may be skipped are `list_tasks`, and
        /// matching an expected `list_tasks` to the earliest actual one never hurts.
        static func toolsMatch(expected: [String], actual: [String]) -> Bool {
            var next = 0
            for name in actual {
                if next < expected.count && expected[next] == name {
                    next += 1
                } else if name != "list_tasks" {
                    return false
                }
            }
            return next == expected.count
        }
    }

    struct EvalTurn {
        let user: String
        let expect: EvalExpect
    }

    struct EvalCase {
        let id: String
        let split: String
        let category: String
        /// As the fixture spells it (UTC when absent); sent as `X-Timezone`.
        let timeZoneName: String
        let timeZone: TimeZone
        let turns: [EvalTurn]
        let changes: EvalChanges
    }

    /// `builtin-eval.json`, read from disk (it is excluded from the target's resources).
    struct EvalFixture {
        let now: Date
        let seed: [EvalSeed]
        let cases: [EvalCase]

        static func url(_ name: String) -> URL {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name)
        }

        /// `builtin-eval.json` (dev and held-out test halves), or another set whose cases all
        /// count as `split` (`builtin-eval-extra.json`: more development cases, written apart).
        static func load(_ name: String = "builtin-eval.json", split: String? = nil) throws -> EvalFixture {
            let url = url(name)
            let data = try Data(contentsOf: url)
            guard let json = JSONValue.parse(data) else { throw EvalError("\(url.path) is not JSON") }
            return try EvalFixture(json, split: split)
        }

        init(_ json: JSONValue, split forcedSplit: String? = nil) throws {
            guard let nowText = json["now"]?.stringValue, let now = ISO8601.date(from: nowText) else { throw EvalError("fixture: bad `now`") }
            self.now = now
            seed = try Self.array(json["seed"], "seed").map { item in
                EvalSeed(title: try Self.string(item["title"], "seed.title"), completed: item["completed"]?.boolValue ?? false,
                         due: try Self.due(item["due"], "seed.due"), description: try Self.optionalString(item["description"], "seed.description"))
            }
            let seedTitles = seed.map(\.title)
            cases = try Self.array(json["cases"], "cases").map { item in
                let id = try Self.string(item["id"], "case.id")
                let place = "case \(id)"
                let zoneName = try Self.optionalString(item["timezone"], "\(place).timezone") ?? "UTC"
                guard let zone = TimeZone(identifier: zoneName) else { throw EvalError("\(place): unknown timezone \(zoneName)") }
                let split = try forcedSplit ?? Self.string(item["split"], "\(place).split")
                guard (["dev", "test"] + BuiltinEvalTests.extraSets).contains(split) else { throw EvalError("\(place): split must be dev or test") }
                let turns = try Self.array(item["turns"], "\(place).turns").map { turn in
                    guard let expect = turn["expect"] else { throw EvalError("\(place): a turn has no expect") }
                    return EvalTurn(
                        user: try Self.string(turn["user"], "\(place).user"),
                        expect: EvalExpect(
                            tools: try Self.array(expect["tools"], "\(place).tools").map { try Self.string($0, "\(place).tools[]") },
                            listStatus: try Self.optionalString(expect["list_status"], "\(place).list_status"),
                            listQuery: try Self.optionalString(expect["list_query"], "\(place).list_query"),
                            replyMentions: try (expect["reply_mentions"].map { try Self.array($0, "\(place).reply_mentions") } ?? [])
                                .map { try Self.string($0, "\(place).reply_mentions[]") }))
                }
                guard !turns.isEmpty else { throw EvalError("\(place): no turns") }
                return EvalCase(id: id, split: split, category: try Self.string(item["category"], "\(place).category"),
                                timeZoneName: zoneName, timeZone: zone,
                                turns: turns, changes: try Self.changes(item["changes"], place, seedTitles: seedTitles))
            }
            let ids = cases.map(\.id)
            guard Set(ids).count == ids.count else { throw EvalError("fixture: case ids repeat") }
        }

        static func changes(_ json: JSONValue?, _ place: String, seedTitles: [String]) throws -> EvalChanges {
            var changes = EvalChanges()
            guard let json, json != .null else { return changes }
            guard case .object(let pairs) = json else { throw EvalError("\(place): changes must be an object") }
            func seedTitle(_ value: JSONValue?, _ field: String) throws -> String {
                let title = try string(value, "\(place).changes.\(field)")
                guard seedTitles.contains(where: { BuiltinEvalTests.sameTitle($0, title) }) else {
                    throw EvalError("\(place): changes.\(field) names '\(title)', which is not a seed title")
                }
                return title
            }
            for (key, value) in pairs {
                switch key {
                case "completed": changes.completed = try array(value, key).map { try seedTitle($0, key) }
                case "reopened": changes.reopened = try array(value, key).map { try seedTitle($0, key) }
                case "deleted": changes.deleted = try array(value, key).map { try seedTitle($0, key) }
                case "updated":
                    changes.updated = try array(value, key).map { entry in
                        EvalUpdate(title: try seedTitle(entry["title"], "updated.title"),
                                   newTitle: try optionalString(entry["new_title"], "\(place).updated.new_title"),
                                   due: try entry["due"].map { try due($0, "\(place).updated.due") },
                                   description: try entry["description"].map { try optionalString($0, "\(place).updated.description") })
                    }
                case "added":
                    changes.added = try array(value, key).map { entry in
                        EvalAdded(title: try string(entry["title"], "\(place).added.title"),
                                  due: try due(entry["due"], "\(place).added.due"),
                                  description: try optionalString(entry["description"], "\(place).added.description"))
                    }
                default: throw EvalError("\(place): unknown change '\(key)'")
                }
            }
            return changes
        }

        static func array(_ json: JSONValue?, _ field: String) throws -> [JSONValue] {
            guard case .array(let items)? = json else { throw EvalError("fixture: \(field) must be an array") }
            return items
        }

        static func string(_ json: JSONValue?, _ field: String) throws -> String {
            guard let s = json?.stringValue else { throw EvalError("fixture: \(field) must be a string") }
            return s
        }

        /// Absent or null → nil.
        static func optionalString(_ json: JSONValue?, _ field: String) throws -> String? {
            switch json {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw EvalError("fixture: \(field) must be a string or null")
            }
        }

        static func due(_ json: JSONValue?, _ field: String) throws -> EvalDue? {
            guard let text = try optionalString(json, field) else { return nil }
            do { return try EvalDue(text) } catch { throw EvalError("fixture: \(field): \(error)") }
        }
    }
}
