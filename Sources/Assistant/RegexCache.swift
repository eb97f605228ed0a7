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
