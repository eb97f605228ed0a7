import Foundation
import Synchronization

/// JSON text read back from the database, parsed the first time its value is asked for. A chat
/// turn reads up to twenty earlier messages, and most turns never look at their saved tool
/// calls: parsing them all took about 4 % of a turn's CPU time.
public final class SavedJSON: Sendable, Equatable {
    private let text: String?
    private let fallback: JSONValue
    private let parsed: Mutex<JSONValue?>

    /// `text` as saved (nil, empty or unparsable: `fallback`).
    public init(text: String?, fallback: JSONValue = .array([])) {
        self.text = text
        self.fallback = fallback
        parsed = Mutex(nil)
    }

    /// The value of saved JSON `text` at once: nil, empty or unparsable is `fallback`; the
    /// common empty list needs no parser.
    public static func value(of text: String?, fallback: JSONValue = .array([])) -> JSONValue {
        guard let text, !text.isEmpty else { return fallback }
        if text == "[]" { return .array([]) }
        return JSONValue.parse(Data(text.utf8)) ?? fallback
    }

    /// A value already in hand.
    public init(_ value: JSONValue) {
        text = nil
        fallback = value
        parsed = Mutex(value)
    }

    public var value: JSONValue {
        parsed.withLock { cached in
            if let cached { return cached }
            let value = Self.value(of: text, fallback: fallback)
            cached = value
            return value
        }
    }

    public static func == (lhs: SavedJSON, rhs: SavedJSON) -> Bool { lhs === rhs || lhs.value == rhs.value }
}
