import Foundation

/// Dates and times in everyday English, read from the words of a message wherever they stand:
/// "today", "tomorrow" (also "tommorow"), "friday", "next tuesday", "next week", "in 3 days",
/// "in 2 weeks", "Dec 3", "the 1st", "2026-12-01", "before december", "tomorrow at 6pm",
/// "10am", "at noon", "same time"; and shifts: "by a week", "two days".
///
/// Days resolve in the user's time zone. "next <weekday>" is that day in the next calendar
/// week (weeks start on Monday); a bare weekday is its next occurrence after today.
struct DatePhrase: Equatable {
    /// The first day meant (its start, in the user's time zone), if a day was said.
    var day: Date?
    /// How many days the phrase spans from `day` ("this week", "tomorrow or the day after").
    var spanDays = 1
    /// A time of day, as hour and minute.
    var hour: Int?
    var minute = 0
    /// The hour came from a part of the day ("tonight", "friday evening"): a clock time said
    /// with it ("tonight at 9pm", "at 9 tonight") wins.
    var vagueHour = false
    /// "same time": keep the task's current time of day.
    var sameTime = false
    /// A shift of the current due date ("by a week", "push it two days").
    var shiftDays: Int?
    /// "before december", "until friday": everything up to that day.
    var before = false
    /// "by sunday": everything up to the end of that day.
    var by = false
    /// "after the end of this month": everything from the day after.
    var after = false
    /// A shift in minutes ("push it an hour").
    var shiftMinutes: Int?
    /// "overdue": open and due before today.
    var overdue = false
    /// The indices of the words that make up the phrase (to be left out of titles and references).
    var indices: Set<Int> = []
    /// Where the first day and the first shift were said ("push it back by a day? I'm away sunday").
    var dayAt: Int?
    var shiftAt: Int?

    var isEmpty: Bool { day == nil && hour == nil && !sameTime && shiftDays == nil && shiftMinutes == nil && !overdue }

    /// The due date the phrase sets: its day at its time (09:00 without one). A time alone is
    /// its next occurrence.
    func due(now: Date, calendar: Calendar) -> Date? {
        if let day {
            return calendar.date(bySettingHour: hour ?? 9, minute: hour == nil ? 0 : minute, second: 0, of: day)
        }
        guard let hour, var due = calendar.date(bySettingHour: hour, minute: minute, second: 0, of: now) else { return nil }
        if due <= now { due = calendar.date(byAdding: .day, value: 1, to: due) ?? due }
        return due
    }

    static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    static let weekdayShort = ["sun": 0, "mon": 1, "tue": 2, "tues": 2, "wed": 3, "weds": 3, "thu": 4, "thur": 4, "thurs": 4, "fri": 5, "sat": 6]
    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
    static let numberWords = ["a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                              "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "few": 3]
    static let partOfDay = ["morning": 9, "afternoon": 15, "evening": 18, "night": 20, "noon": 12, "lunchtime": 12, "eod": 17]
    static let prefixes: Set<String> = ["due", "by", "on", "for", "to", "until", "till", "til", "at", "before", "from", "this", "coming", "the", "after"]

    /// Finds the date and time phrases in `words` (lowercased).
    static func find(in words: [String], now: Date, calendar: Calendar) -> DatePhrase {
        var phrase = DatePhrase()
        let today = calendar.startOfDay(for: now)
        func day(_ offset: Int, from base: Date = today) -> Date? { calendar.date(byAdding: .day, value: offset, to: base) }
        var i = 0
        while i < words.count {
            let start = i
            // Leading prefixes belong to the phrase only if a date follows them.
            var j = i
            var sawBefore = false
            var sawBy = false
            var sawAfter = false
            var found = component(words, at: j, now: now, today: today, calendar: calendar, day: day)
            while found == nil, j < words.count, prefixes.contains(words[j]) {
                if ["before", "until", "till", "til"].contains(words[j]) { sawBefore = true }
                if words[j] == "by" { sawBy = true }
                if words[j] == "after" { sawAfter = true }
                j += 1
                found = component(words, at: j, now: now, today: today, calendar: calendar, day: day)
            }
            // "before the end of the month" means by its last day, that day included.
            if found != nil, sawBefore, j < words.count, ["end", "last"].contains(words[j]) { sawBefore = false; sawBy = true }
            if let (_, end) = found, start > 0, words[start - 1] == "not" {
                // "friday not thursday": the date set aside is part of the phrase but sets nothing.
                phrase.indices.formUnion((start - 1)..<end)
                i = end
            } else if var (parsed, end) = found {
                // "tomorrow morning", "friday evening"
                if parsed.day != nil, parsed.hour == nil, end < words.count, let hour = partOfDay[words[end]] {
                    parsed.hour = hour; parsed.vagueHour = true; end += 1
                }
                if parsed.day != nil && phrase.day == nil {
                    phrase.day = parsed.day; phrase.spanDays = parsed.spanDays; phrase.before = sawBefore; phrase.by = sawBy; phrase.dayAt = start
                    phrase.after = sawAfter
                } else if let first = phrase.day, let second = parsed.day, second > first, let lastEnd = phrase.indices.max(), lastEnd + 1 < start,
                          ((lastEnd + 1)..<start).allSatisfy({ ["or", "and", "through", "thru", "to", "until", "-", "the"].contains(words[$0]) }),
                          ((lastEnd + 1)..<start).contains(where: { ["or", "and", "through", "thru", "to", "until", "-"].contains(words[$0]) }) {
                    // "thursday or friday", "next week or the week after": one window over both.
                    let days = calendar.dateComponents([.day], from: first, to: second).day ?? 0
                    phrase.spanDays = max(phrase.spanDays, days + parsed.spanDays)
                }
                if parsed.hour != nil && (phrase.hour == nil || phrase.vagueHour && !parsed.vagueHour) {
                    phrase.hour = parsed.hour; phrase.minute = parsed.minute; phrase.vagueHour = parsed.vagueHour
                }
                if parsed.sameTime { phrase.sameTime = true }
                if parsed.overdue { phrase.overdue = true }
                if parsed.shiftDays != nil && phrase.shiftDays == nil { phrase.shiftDays = parsed.shiftDays; phrase.shiftAt = start }
                if parsed.shiftMinutes != nil && phrase.shiftMinutes == nil { phrase.shiftMinutes = parsed.shiftMinutes }
                phrase.indices.formUnion(start..<end)
                i = end
            } else {
                i += 1
            }
        }
        // "tomorrow at 10 in the morning", "at 7 in the evening": a bare hour, then the part of the day.
        if phrase.hour == nil || phrase.vagueHour {
            for k in words.indices.dropLast() where words[k] == "at" {
                guard let n = Int(words[k + 1]), (1...12).contains(n) else { continue }
                let after = words[(k + 2)...].prefix(3)
                guard after.first == "in", let part = after.first(where: { partOfDay[$0] != nil }), let vague = partOfDay[part] else { continue }
                phrase.hour = vague >= 12 && n < 12 ? n + 12 : n
                phrase.minute = 0; phrase.vagueHour = false
                if let p = words[(k + 2)...].firstIndex(of: part) { phrase.indices.formUnion(k...p) }
                break
            }
        }
        // "thursday the 26th": the weekday names the date that follows it.
        for k in words.indices where phrase.indices.contains(k) && (weekdays.contains(words[k]) || weekdayShort[words[k]] != nil) {
            guard k + 2 < words.count, words[k + 1] == "the", words[k + 2].last?.isLetter == true, let d = dayNumber(words[k + 2]) else { continue }
            if let date = nextDayOfMonth(d, today: today, calendar: calendar), calendar.component(.day, from: date) == d {
                phrase.day = date
                phrase.indices.formUnion([k + 1, k + 2])
            }
            break
        }
        // "tomorrow 8 o'clock in the morning", "at 6 o'clock": a clock time.
        if phrase.hour == nil || phrase.vagueHour {
            for k in words.indices.dropLast() where ["o'clock", "oclock"].contains(words[k + 1]) {
                guard let n = Int(words[k]), (1...23).contains(n) else { continue }
                let after = words[(k + 2)...].prefix(4)
                let part = after.first(where: { partOfDay[$0] != nil }).flatMap { partOfDay[$0] }
                let half = part ?? (phrase.vagueHour ? phrase.hour : nil)
                phrase.hour = half.map { $0 >= 12 && n < 12 ? n + 12 : n } ?? clockHour(n)
                phrase.minute = 0; phrase.vagueHour = false
                phrase.indices.formUnion([k, k + 1])
                if let part = after.firstIndex(where: { partOfDay[$0] != nil }) { phrase.indices.formUnion((k + 2)...part) }
                break
            }
        }
        // "3rd is at 10 on friday", "friday at 3": a bare hour with a day is a clock time
        // (7–11 in the morning, 12 noon, 1–6 in the afternoon; 13–23 as said).
        if phrase.day != nil, phrase.hour == nil {
            for k in words.indices.dropLast() where words[k] == "at" && !phrase.indices.contains(k + 1) {
                guard let n = Int(words[k + 1]), (1...23).contains(n), words[k + 1].count <= 2 else { continue }
                if k + 2 < words.count, ["one", "ones", "task", "tasks", "item", "items", "of", "%", "percent"].contains(words[k + 2]) { continue }
                phrase.hour = clockHour(n)
                phrase.minute = 0
                phrase.indices.formUnion([k, k + 1])
                break
            }
        }
        // "tonight at 9", "at 8 this evening": a bare hour next to a part of the day takes its half.
        if phrase.vagueHour, let vague = phrase.hour {
            for k in words.indices.dropLast() where words[k] == "at" && !phrase.indices.contains(k + 1) {
                guard let n = Int(words[k + 1]), (1...12).contains(n) else { continue }
                phrase.hour = vague >= 12 && n < 12 ? n + 12 : n
                phrase.minute = 0; phrase.vagueHour = false
                phrase.indices.formUnion([k, k + 1])
                break
            }
        }
        return phrase
    }

    /// One day, time, shift or "overdue" at `i`, and where it ends.
    static func component(_ words: [String], at i: Int, now: Date, today: Date, calendar: Calendar,
                          day: (Int, Date) -> Date?) -> (DatePhrase, Int)? {
        guard i < words.count else { return nil }
        let w = words[i]
        func word(_ k: Int) -> String? { i + k >= 0 && i + k < words.count ? words[i + k] : nil }
        var p = DatePhrase()
        // "am i behind on anything", "what am i falling behind on": overdue.
        if w == "behind", ["i", "am", "we", "falling", "fallen", "running", "fall"].contains(word(-1) ?? "") { p.overdue = true; return (p, i + 1) }
        // ("the late shipment": not a date.)
        if w == "overdue" || w == "slipping" || w == "slipped" || w == "late" && word(-1) != "too" && !["the", "a", "my", "our", "that", "this"].contains(word(-1) ?? "") { p.overdue = true; return (p, i + 1) }
        if w == "past", word(1) == "due" || word(1) == "deadline" { p.overdue = true; return (p, i + 2) }
        if w == "today" || w == "tonight" {
            p.day = today
            if w == "tonight" { p.hour = 20; p.vagueHour = true }
            return (p, i + 1)
        }
        // "end of the month", "end of month", "the last day of this month", "month end"
        let monthEnd: Int? = {
            var k = i
            if w == "last", word(1) == "day", word(2) == "of" { k = i + 3 } else if w == "end", word(1) == "of" { k = i + 2 }
            else if w == "month", word(1) == "end" { return i + 2 } else { return nil }
            if k < words.count, ["the", "this"].contains(words[k]) { k += 1 }
            return k < words.count && words[k] == "month" ? k + 1 : nil
        }()
        if let end = monthEnd {
            let interval = calendar.dateInterval(of: .month, for: today)
            p.day = interval.flatMap { calendar.date(byAdding: .day, value: -1, to: $0.end) }.map { calendar.startOfDay(for: $0) }
            return p.day == nil ? nil : (p, end)
        }
        if w == "day", word(1) == "after", word(2) == "tomorrow" { p.day = day(2, today); return (p, i + 3) }
        if isTomorrow(w) {
            p.day = day(1, today)
            if word(1) == "or", word(2) == "the", word(3) == "day", word(4) == "after" { p.spanDays = 2; return (p, i + 5) }
            return (p, i + 1)
        }
        if w == "same", word(1) == "time" { p.sameTime = true; return (p, i + 2) }
        // "half past four", "quarter past 9", "quarter to six", then "in the afternoon" / "pm"
        if ["half", "quarter"].contains(w), let relation = word(1), ["past", "to"].contains(relation),
           let base = word(2).flatMap({ Int($0) ?? numberWords[$0] }), (1...12).contains(base), !(w == "half" && relation == "to") {
            var hour = relation == "to" ? base - 1 : base
            let minute = w == "half" ? 30 : relation == "past" ? 15 : 45
            var end = i + 3
            let afternoon = word(3) == "pm" || word(3) == "in" && word(4) == "the" && ["afternoon", "evening", "night"].contains(word(5) ?? "")
                || ["tonight", "this"].contains(word(3) ?? "") && (word(3) == "tonight" || ["afternoon", "evening"].contains(word(4) ?? ""))
            if word(3) == "pm" || word(3) == "am" { end += 1 } else if word(3) == "in", word(4) == "the", ["afternoon", "evening", "night", "morning"].contains(word(5) ?? "") { end += 3 }
            if afternoon, hour < 12 { hour += 12 }
            p.hour = hour == 24 ? 0 : hour; p.minute = minute
            return (p, end)
        }
        // "christmas", "xmas" (and "christmas eve")
        // ("send xmas cards", "christmas party": a thing, not a date.)
        if w == "christmas" || w == "xmas", word(1) == nil || ["eve", "day"].contains(word(1) ?? "") || prefixes.contains(word(-1) ?? "") || word(-1) == "before" || word(1) == "," {
            let eve = word(1) == "eve"
            p.day = monthDay(12, eve ? 24 : 25, year: nil, today: today, calendar: calendar)
            return p.day == nil ? nil : (p, i + (eve ? 2 : 1))
        }
        // "the week after (next)": the week after next week
        if w == "week", word(1) == "after" {
            let weekday = (calendar.component(.weekday, from: today) + 5) % 7   // Monday = 0
            p.day = day(7 - weekday + 7, today); p.spanDays = 7
            return (p, word(2) == "next" ? i + 3 : i + 2)
        }
        if w == "noon" || w == "midday" { p.hour = 12; return (p, i + 1) }
        if w == "midnight" { p.hour = 0; return (p, i + 1) }
        if let (hour, minute, end) = time(words, at: i) { p.hour = hour; p.minute = minute; return (p, end) }
        // "(in) the next 3 days", "next two weeks": a window from today
        if w == "next" || w == "coming", let (count, end) = duration(words, at: i + 1), count <= 366 {
            p.day = today; p.spanDays = count
            return (p, end)
        }
        if w == "this", let part = word(1), let hour = partOfDay[part] { p.day = today; p.hour = hour; p.vagueHour = true; return (p, i + 2) }
        // next/this week, next month
        if ["next", "this", "coming"].contains(w), let unit = word(1), ["week", "weekend", "month"].contains(unit) {
            let weekday = (calendar.component(.weekday, from: today) + 5) % 7   // Monday = 0
            let nextMonday = day(7 - weekday, today)
            switch (w, unit) {
            case ("this", "week"): p.day = today; p.spanDays = 7 - weekday
            case ("this", "weekend"), ("coming", "weekend"): p.day = day((5 - weekday + 7) % 7, today); p.spanDays = 2
            case ("next", "weekend"): p.day = nextMonday.flatMap { day(5, $0) }; p.spanDays = 2
            case (_, "month"):
                var parts = calendar.dateComponents([.year, .month], from: today)
                parts.month = (parts.month ?? 1) + (w == "this" ? 0 : 1); parts.day = 1
                p.day = calendar.date(from: parts); p.spanDays = 31
            default: p.day = nextMonday; p.spanDays = 7
            }
            return (p, i + 2)
        }
        if w == "end", word(1) == "of", word(2) == "the" || word(2) == "this", word(3) == "week" {
            let weekday = (calendar.component(.weekday, from: today) + 5) % 7
            p.day = day(max(0, 4 - weekday), today)
            return (p, i + 4)
        }
        // "same day next week": a week later.
        if w == "same", word(1) == "day", word(2) == "next", word(3) == "week" { p.shiftDays = 7; return (p, i + 4) }
        // "end of next week": that week's Friday, as "end of the week" is this week's.
        if w == "end", word(1) == "of", word(2) == "next", word(3) == "week" {
            let weekday = (calendar.component(.weekday, from: today) + 5) % 7
            p.day = day(7 - weekday + 4, today)
            return (p, i + 4)
        }
        // "a week from friday": that weekday, then seven days on.
        if w == "a" || w == "one", word(1) == "week", word(2) == "from", let target = weekday(word(3)) {
            let todayIndex = calendar.component(.weekday, from: today) - 1
            var ahead = (target - todayIndex + 7) % 7
            if ahead == 0 { ahead = 7 }
            p.day = day(ahead + 7, today)
            return (p, i + 4)
        }
        // weekdays, "next tuesday"
        let isNext = w == "next"
        if let target = weekday(isNext || w == "this" || w == "coming" ? word(1) : w) {
            let offset = (isNext || w == "this" || w == "coming") ? 1 : 0
            let todayIndex = calendar.component(.weekday, from: today) - 1   // Sunday = 0
            if isNext {
                let mondayBased = (todayIndex + 6) % 7
                let targetMondayBased = (target + 6) % 7
                p.day = day(7 - mondayBased + targetMondayBased, today)
            } else {
                var ahead = (target - todayIndex + 7) % 7
                if ahead == 0 { ahead = 7 }
                p.day = day(ahead, today)
            }
            return (p, i + 1 + offset)
        }
        // "in 3 days", "in a week", and shifts "by 2 days", "two days"
        if w == "in" || w == "by" || w == "within", let (count, end) = duration(words, at: i + 1) {
            if w == "by" { p.shiftDays = count } else { p.day = day(count, today) }
            return (p, end)
        }
        if let (count, end) = duration(words, at: i) { p.shiftDays = count; return (p, end) }
        if w == "by", let (count, end) = minutes(words, at: i + 1) { p.shiftMinutes = count; return (p, end) }
        if let (count, end) = minutes(words, at: i) { p.shiftMinutes = count; return (p, end) }
        // 2026-12-01
        if let date = isoDate(w, calendar: calendar) { p.day = date; return (p, i + 1) }
        // "dec 3", "december 3rd 2027", "3 dec", "3rd of december", "the 1st", "december"
        if let month = month(w) {
            // "december the tenth"
            if word(1) == "the", let d = word(2).flatMap({ ordinalWords[$0] }) ?? dayNumber(word(2)), word(2).map({ ordinalWords[$0] != nil || $0.last?.isLetter == true }) == true {
                p.day = monthDay(month, d, year: nil, today: today, calendar: calendar)
                return p.day == nil ? nil : (p, i + 3)
            }
            if let d = dayNumber(word(1)) {
                var end = i + 2
                var year: Int?
                if let y = word(2).flatMap(Int.init), (2000...2200).contains(y) { year = y; end += 1 }
                p.day = monthDay(month, d, year: year, today: today, calendar: calendar)
                return p.day == nil ? nil : (p, end)
            }
            if i > 0, prefixes.contains(words[i - 1]) || words[i - 1] == "in" {
                // "in nov" during November: this month, from its first day.
                let thisMonth = calendar.component(.month, from: today) == month
                p.day = thisMonth ? calendar.dateInterval(of: .month, for: today)?.start : monthDay(month, 1, year: nil, today: today, calendar: calendar)
                p.spanDays = p.day.flatMap { calendar.range(of: .day, in: .month, for: $0)?.count } ?? 31
                return p.day == nil ? nil : (p, i + 1)
            }
            return nil
        }
        if let d = dayNumber(w), w.count > 1 || word(1).flatMap(month) != nil {
            if let m = word(1).flatMap(month) { p.day = monthDay(m, d, year: nil, today: today, calendar: calendar); return p.day == nil ? nil : (p, i + 2) }
            if word(1) == "of", let m = word(2).flatMap(month) { p.day = monthDay(m, d, year: nil, today: today, calendar: calendar); return p.day == nil ? nil : (p, i + 3) }
            // ("the note on the 4th one": a task's number, not a date.)
            if i > 1, words[i - 1] == "the", ["on", "by", "due", "for", "until", "till", "before", "from", "to", "after", "→", ":", "not", "is", "it", "be"].contains(words[i - 2]),
               // ("the deadline is the 25th" is a date; "what is the 7th about" asks about a row.)
               words[i - 2] != "is" || i > 2 && !["what", "when", "which", "who", "how", "where"].contains(words[i - 3]),
               w.last?.isLetter == true, !["one", "ones", "task", "item", "thing", ":"].contains(word(1) ?? "") {   // "on the 1st": its next occurrence ("a note to the 6th: …" is a row)
                p.day = nextDayOfMonth(d, today: today, calendar: calendar)
                return p.day == nil ? nil : (p, i + 1)
            }
        }
        return nil
    }

    /// "6pm", "6 pm", "6:30", "6:30pm", "18:00", "10am"; a bare "6" is not a time.
    static func time(_ words: [String], at i: Int) -> (Int, Int, Int)? {
        var w = words[i]
        var end = i + 1
        var suffix: String?
        for s in ["am", "pm", "a.m", "p.m"] where w.hasSuffix(s) && w.count > s.count { suffix = String(s.prefix(1)); w.removeLast(s.count); break }
        if suffix == nil, i + 1 < words.count, ["am", "pm"].contains(words[i + 1]) { suffix = String(words[i + 1].prefix(1)); end += 1 }
        let parts = w.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let hourText = parts.first, !hourText.isEmpty, hourText.count <= 2, var hour = Int(hourText) else { return nil }
        var minute = 0
        if parts.count == 2 {
            guard parts[1].count == 2, let m = Int(parts[1]), (0...59).contains(m) else { return nil }
            minute = m
        } else if suffix == nil {
            return nil
        }
        if let suffix {
            guard (1...12).contains(hour) else { return nil }
            if suffix == "p" && hour < 12 { hour += 12 }
            if suffix == "a" && hour == 12 { hour = 0 }
        }
        guard (0...23).contains(hour) else { return nil }
        return (hour, minute, end)
    }

    /// "3 days", "a week", "two weeks", "1 month" (30 days) → days.
    static func duration(_ words: [String], at i: Int) -> (Int, Int)? {
        guard i + 1 < words.count else { return nil }
        let count = Int(words[i]) ?? numberWords[words[i]]
        var k = i + 1
        if words[i] == "couple" || words[i] == "few", words[k] == "of" { k += 1 }
        if k < words.count, ["more", "extra", "additional"].contains(words[k]) { k += 1 }
        guard let count, count <= 999, k < words.count else { return nil }
        switch words[k] {
        case "day", "days": return (count, k + 1)
        case "week", "weeks": return (count * 7, k + 1)
        case "fortnight": return (count * 14, k + 1)
        case "month", "months": return (count * 30, k + 1)
        default: return nil
        }
    }

    /// "an hour", "2 hours", "30 minutes" → minutes.
    static func minutes(_ words: [String], at i: Int) -> (Int, Int)? {
        guard i + 1 < words.count, let count = Int(words[i]) ?? numberWords[words[i]], count <= 999 else { return nil }
        var k = i + 1
        if ["more", "extra"].contains(words[k]), k + 1 < words.count { k += 1 }
        switch words[k] {
        case "hour", "hours", "hr", "hrs": return (count * 60, k + 1)
        case "minute", "minutes", "min", "mins": return (count, k + 1)
        default: return nil
        }
    }

    static func isTomorrow(_ w: String) -> Bool {
        w == "tomorrow" || w.count >= 6 && w.count <= 10 && w.first == "t" && TaskMatcher.distance(w, "tomorrow") <= 2
    }

    static func weekday(_ w: String?) -> Int? {
        guard let w else { return nil }
        if let index = weekdays.firstIndex(of: w) { return index }
        if let index = weekdayShort[w] { return index }
        // "opening hours on fridays": a weekday in the plural is every such day, not a date.
        if w.hasSuffix("s"), weekdays.contains(String(w.dropLast())) { return nil }
        if w.count >= 6, let index = weekdays.firstIndex(where: { TaskMatcher.distance(w, $0) <= 1 }) { return index }
        // "wensday", "thrusday": two slips in a long name, same first letter.
        if w.count >= 7, let index = weekdays.firstIndex(where: { $0.first == w.first && TaskMatcher.distance(w, $0) <= 2 }) { return index }
        return nil
    }

    static let monthShort = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12]

    static func month(_ w: String) -> Int? {
        if let index = months.firstIndex(of: w) { return index + 1 }
        return monthShort[w]
    }

    /// "3", "3rd", "21st" → 3, 21 (1...31).
    static let ordinalWords = ["first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
                               "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
                               "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30]

    static func dayNumber(_ w: String?) -> Int? {
        guard var w else { return nil }
        for s in ["st", "nd", "rd", "th"] where w.hasSuffix(s) { w.removeLast(2); break }
        guard w.count <= 2, let d = Int(w), (1...31).contains(d) else { return nil }
        return d
    }

    /// The next `month`/`day` on or after today (or in `year`).
    /// Day `d` of this month, or of the next when this month's has passed ("on the 1st").
    static func nextDayOfMonth(_ d: Int, today: Date, calendar: Calendar) -> Date? {
        var parts = calendar.dateComponents([.year, .month, .day], from: today)
        if (parts.day ?? 1) > d { parts.month = (parts.month ?? 1) + 1 }
        parts.day = d
        return calendar.date(from: parts)
    }

    /// A bare hour said without am/pm ("at 3", "8 o'clock"): 7–12 in the morning or noon, 1–6 in
    /// the afternoon, 13–23 as said.
    static func clockHour(_ n: Int) -> Int { n >= 7 && n <= 12 || n >= 13 ? n : n + 12 }

    static func monthDay(_ month: Int, _ day: Int, year: Int?, today: Date, calendar: Calendar) -> Date? {
        var parts = calendar.dateComponents([.year], from: today)
        parts.month = month; parts.day = day
        if let year { parts.year = year }
        guard let date = calendar.date(from: parts), calendar.component(.day, from: date) == day else { return nil }
        if year == nil, date < today { parts.year = (parts.year ?? 0) + 1; return calendar.date(from: parts) }
        return date
    }

    static func isoDate(_ w: String, calendar: Calendar) -> Date? {
        let bits = w.split(separator: "-")
        guard bits.count == 3, bits[0].count == 4, let y = Int(bits[0]), let m = Int(bits[1]), let d = Int(bits[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        guard let date = calendar.date(from: DateComponents(year: y, month: m, day: d)), calendar.component(.day, from: date) == d else { return nil }
        return date
    }
}
