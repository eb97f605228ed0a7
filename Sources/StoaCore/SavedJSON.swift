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
        // The common empty list needs no parser.
        parsed = Mutex(text == nil || text == "" || (text == "[]" && fallback == .array([])) ? fallback : nil)
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
            let value = text.flatMap { JSONValue.parse(Data($0.utf8)) } ?? fallback
            cached = value
            return value
        }
    }

    public static func == (lhs: SavedJSON, rhs: SavedJSON) -> Bool { lhs === rhs || lhs.value == rhs.value }
}
