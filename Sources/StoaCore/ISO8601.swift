import Foundation

/// Dates as JavaScript's `Date.toJSON()` writes them: `2026-01-02T03:04:05.678Z`.
public enum ISO8601 {
    /// Formats `date` in UTC with milliseconds.
    public static func string(from date: Date) -> String {
        let parts = Parts(date)
        guard parts.fitsFourDigitYear else { return parts.text }
        return String(unsafeUninitializedCapacity: Parts.length) { parts.write(into: $0) }
    }

    /// Appends `string(from: date)`'s UTF-8 bytes (for responses written as bytes).
    public static func write(_ date: Date, to out: inout [UInt8]) {
        let parts = Parts(date)
        guard parts.fitsFourDigitYear else { out += parts.text.utf8; return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Parts.length) { buffer in
            out.append(contentsOf: buffer[..<parts.write(into: buffer)])
        }
    }

    /// A date's UTC fields, to the millisecond.
    struct Parts {
        static let length = 24   // 2026-01-02T03:04:05.678Z
        var fields = tm()
        var millis: Int32

        init(_ date: Date) {
            // Nearest millisecond: stored dates are millisecond-exact, and a Double read back from
            // PostgreSQL's microseconds may land a hair below the millisecond it stands for.
            let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
            var seconds = ms / 1000
            var millis = ms % 1000
            if millis < 0 { millis += 1000; seconds -= 1 }
            var t = time_t(seconds)
            gmtime_r(&t, &fields)
            self.millis = Int32(millis)
        }

        var year: Int32 { fields.tm_year + 1900 }
        var fitsFourDigitYear: Bool { (0...9999).contains(year) }

        /// The fixed-width form into `buffer` (at least ``length`` bytes); returns the count written.
        func write(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
            var at = 0
            func digits(_ value: Int32, _ width: Int) {
                var value = value
                for i in stride(from: width - 1, through: 0, by: -1) {
                    buffer[at + i] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                at += width
            }
            func mark(_ c: Unicode.Scalar) { buffer[at] = UInt8(ascii: c); at += 1 }
            digits(year, 4); mark("-"); digits(fields.tm_mon + 1, 2); mark("-"); digits(fields.tm_mday, 2); mark("T")
            digits(fields.tm_hour, 2); mark(":"); digits(fields.tm_min, 2); mark(":"); digits(fields.tm_sec, 2); mark(".")
            digits(millis, 3); mark("Z")
            return at
        }

        /// The same form for years outside 0...9999 (zero-padded to at least four digits).
        var text: String {
            func pad(_ v: Int32, _ width: Int) -> String {
                let s = String(v)
                return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
            }
            return "\(pad(year, 4))-\(pad(fields.tm_mon + 1, 2))-\(pad(fields.tm_mday, 2))T"
                + "\(pad(fields.tm_hour, 2)):\(pad(fields.tm_min, 2)):\(pad(fields.tm_sec, 2)).\(pad(millis, 3))Z"
        }
    }

    /// Parses ISO-8601 timestamps with or without fractional seconds, with `Z` or an offset,
    /// and the `YYYY-MM-DD HH:MM:SS` form SQLite's `CURRENT_TIMESTAMP` writes. Works on the
    /// UTF-8 bytes without allocating (every row read from SQLite parses one or two of these).
    public static func date(from string: String) -> Date? {
        var string = string
        return string.withUTF8 { date(utf8: $0) }
    }

    /// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func date(utf8 all: UnsafeBufferPointer<UInt8>) -> Date? {
        var start = 0, end = all.count
        while start < end, all[start] == 32 || all[start] == 9 { start += 1 }
        while end > start, all[end - 1] == 32 || all[end - 1] == 9 { end -= 1 }
        let bytes = UnsafeBufferPointer(rebasing: all[start..<end])
        guard bytes.count >= 19 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= bytes.count else { return nil }
            var v = 0
            for i in from..<from + len {
                let b = bytes[i]
                guard b >= 48 && b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard let year = num(0, 4), bytes[4] == 45, let month = num(5, 2), bytes[7] == 45, let day = num(8, 2),
              bytes[10] == 84 || bytes[10] == 32 || bytes[10] == 116,
              let hour = num(11, 2), bytes[13] == 58, let minute = num(14, 2), bytes[16] == 58, let second = num(17, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour <= 23, minute <= 59, second <= 59
        else { return nil }   // no 30 February, no 24:00, no leap second: JavaScript's Date refuses them too
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count {
            switch bytes[index] {
            case 90, 122: index += 1
            case 43, 45:
                let sign = bytes[index] == 45 ? -1 : 1
                guard let oh = num(index + 1, 2), oh <= 23 else { return nil }
                var om = 0
                if index + 3 < bytes.count {
                    let minuteStart = bytes[index + 3] == 58 ? index + 4 : index + 3
                    guard let minutes = num(minuteStart, 2), minutes <= 59, minuteStart + 2 == bytes.count else { return nil }
                    om = minutes
                }
                offset = sign * (oh * 3600 + om * 60)
                index = bytes.count
            default: return nil
            }
        }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
    /// `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
