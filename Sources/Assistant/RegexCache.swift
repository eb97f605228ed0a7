import Foundation
import Synchronization

/// Compiled regular expressions, each compiled once per process (compiling is far slower
/// than matching, and the built-in model matches every message against dozens of patterns).
enum RegexCache {
    private static let cache = Mutex<[String: NSRegularExpression]>([:])

    static func regex(_ pattern: String) -> NSRegularExpression? {
        if let hit = cache.withLock({ $0[pattern] }) { return hit }
        guard let compiled = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return nil }
        cache.withLock { $0[pattern] = compiled }
        return compiled
    }
}

extension BuiltinModel {
    /// Each round of a turn reads the same user message; parsing runs dozens of patterns, so the
    /// last few parses are kept (keyed by text, time zone and minute: relative dates stay right).
    private static let recentIntents = Mutex<[String: Intent]>([:])

    static func parseOnce(_ text: String, context: ModelContext) -> Intent {
        let key = text + "\u{1}" + context.timeZone.identifier + "\u{1}" + String(Int(context.now.timeIntervalSince1970 / 60))
        if let hit = recentIntents.withLock({ $0[key] }) { return hit }
        let intent = parse(text, context: context)
        recentIntents.withLock { cache in
            if cache.count >= 256 { cache.removeAll(keepingCapacity: true) }
            cache[key] = intent
        }
        return intent
    }
}
