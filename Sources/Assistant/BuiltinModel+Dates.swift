import Foundation

/// Due dates in everyday English: "today", "tomorrow", "on Friday", "next monday",
/// "in 3 days", "2026-12-01". Days resolve in the user's time zone, at 09:00.
enum DuePhrase {
    static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// Finds a due-date phrase at the end of `text`; returns the text without it and the date.
    static func extract(from text: String, now: Date, timeZone: TimeZone) -> (rest: String, due: Date?) {
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
