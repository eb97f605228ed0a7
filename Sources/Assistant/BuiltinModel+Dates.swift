import Foundation

/// Due dates in everyday English: "today", "tomorrow", "on Friday", "next monday",
/// "in 3 days", "2026-12-01". Days resolve in the user's time zone, at 09:00.
enum DuePhrase {
    static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// Finds a due-date phrase at the end of `text`, optionally with a time ("tomorrow at 6pm",
    /// "friday at 14:30", "at noon"); returns the text without it and the date. A time with no
    /// day means its next occurrence.
    static func extract(from text: String, now: Date, timeZone: TimeZone) -> (rest: String, due: Date?) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let (withoutTime, hour, minute) = extractTime(text) else { return extractDay(from: text, now: now, timeZone: timeZone) }
        let (rest, day) = extractDay(from: withoutTime, now: now, timeZone: timeZone)
        if let day { return (rest, calendar.date(bySettingHour: hour, minute: minute, second: 0, of: day)) }
        guard var due = calendar.date(bySettingHour: hour, minute: minute, second: 0, of: now) else { return (text, nil) }
        if due <= now { due = calendar.date(byAdding: .day, value: 1, to: due) ?? due }
        return (withoutTime, due)
    }

    /// `… at 6pm`, `… at 6:30 pm`, `… at 14:30`, `… at noon` at the end of `text`.
    static func extractTime(_ text: String) -> (rest: String, hour: Int, minute: Int)? {
        let lower = text.lowercased()
        guard let regex = RegexCache.regex(#"\s+at\s+(?:(noon|midnight)|(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?)\s*$"#),
              let match = regex.firstMatch(in: lower, range: NSRange(lower.startIndex..., in: lower)) else { return nil }
        func group(_ i: Int) -> String? { Range(match.range(at: i), in: lower).map { String(lower[$0]) } }
        var hour: Int, minute = 0
        if let word = group(1) {
            hour = word == "noon" ? 12 : 0
        } else {
            guard let h = group(2).flatMap({ Int($0) }) else { return nil }
            hour = h
            minute = group(3).flatMap { Int($0) } ?? 0
            let suffix = group(4)
            // A bare "at 6" needs a colon or am/pm to be a time ("meet at 6" stays text).
            if suffix == nil && group(3) == nil { return nil }
            if let suffix {
                guard (1...12).contains(hour) else { return nil }
                if suffix.hasPrefix("p") && hour < 12 { hour += 12 }
                if suffix.hasPrefix("a") && hour == 12 { hour = 0 }
            }
        }
        guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        let offset = match.range.location
        let original = text as NSString
        guard lower.utf16.count == original.length else { return nil }
        return (original.substring(to: offset).trimmingCharacters(in: .whitespaces), hour, minute)
    }

    /// Finds a day phrase at the end of `text` (due at 09:00 that day).
    static func extractDay(from text: String, now: Date, timeZone: TimeZone) -> (rest: String, due: Date?) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let lower = text.lowercased()
        func at9(_ day: Date) -> Date {
            calendar.date(bySettingHour: 9, minute: 0, second: 0, of: day) ?? day
        }
        func strip(_ range: Range<String.Index>) -> String {
            var rest = text
            rest.removeSubrange(range)
            return rest.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        }
        let patterns: [(String, (NSTextCheckingResult, String) -> Date?)] = [
            (#"\s*(?:due\s+|by\s+|on\s+)?(\d{4}-\d{2}-\d{2})\s*$"#, { match, s in
                guard let r = Range(match.range(at: 1), in: s) else { return nil }
                var parts = DateComponents()
                let bits = s[r].split(separator: "-").compactMap { Int($0) }
                guard bits.count == 3 else { return nil }
                parts.year = bits[0]; parts.month = bits[1]; parts.day = bits[2]; parts.hour = 9
                return calendar.date(from: parts)
            }),
            (#"\s*(?:due\s+|by\s+)?today\s*$"#, { _, _ in at9(now) }),
            (#"\s*(?:due\s+|by\s+)?tomorrow\s*$"#, { _, _ in calendar.date(byAdding: .day, value: 1, to: now).map(at9) }),
            (#"\s*(?:due\s+)?in\s+(\d{1,3})\s+days?\s*$"#, { match, s in
                guard let r = Range(match.range(at: 1), in: s), let n = Int(s[r]) else { return nil }
                return calendar.date(byAdding: .day, value: n, to: now).map(at9)
            }),
            (#"\s*(?:due\s+|by\s+|on\s+)?(next\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)\s*$"#, { match, s in
                guard let r = Range(match.range(at: 2), in: s), let target = weekdays.firstIndex(of: String(s[r])) else { return nil }
                let today = calendar.component(.weekday, from: now) - 1
                var ahead = (target - today + 7) % 7
                if ahead == 0 { ahead = 7 }
                if match.range(at: 1).location != NSNotFound && ahead < 7 { ahead += 7 }
                return calendar.date(byAdding: .day, value: ahead, to: now).map(at9)
            }),
        ]
        for (pattern, resolve) in patterns {
            guard let regex = RegexCache.regex(pattern),
                  let match = regex.firstMatch(in: lower, range: NSRange(lower.startIndex..., in: lower)),
                  let range = Range(match.range, in: lower), let due = resolve(match, lower) else { continue }
            let offset = lower.distance(from: lower.startIndex, to: range.lowerBound)
            let start = text.index(text.startIndex, offsetBy: offset)
            return (strip(start..<text.endIndex), due)
        }
        return (text, nil)
    }
}
