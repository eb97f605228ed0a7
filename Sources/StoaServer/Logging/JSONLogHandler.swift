import Foundation
import Logging
import StoaCore
import Synchronization

/// `STOA_LOG_FORMAT=json`: one JSON object a line on standard error (or any sink), for log
/// collectors. Fields: `time` (ISO 8601, UTC, milliseconds), `level`, `message`, `logger` (the
/// label), then the metadata (the logger's, then the call's) as strings, flattened.
///
/// What goes into metadata is chosen by the callers: route patterns rather than paths (a reset
/// link carries its token in the path), user ids rather than emails, never headers or bodies.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: @Sendable (String) -> Void

    /// A handler writing lines to `sink` (standard error when not given).
    public init(label: String, sink: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.sink = sink ?? JSONLogHandler.standardError
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var pairs: [(String, JSONValue)] = [
            ("time", .string(ISO8601.string(from: Date()))),
            ("level", .string(event.level.rawValue)),
            ("message", .string(event.message.description)),
            ("logger", .string(label)),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys.sorted() where !["time", "level", "message", "logger"].contains(key) {
            pairs.append((key, Self.json(merged[key]!)))
        }
        sink(JSONValue.object(pairs).serialized)
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        // Numbers and flags stay numbers and flags (a status or a duration to query on).
        case .stringConvertible(let c as Int): return .number(Double(c))
        case .stringConvertible(let c as Double): return c.isFinite ? .number(c) : .string(c.description)
        case .stringConvertible(let c as Bool): return .bool(c)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let items): return .array(items.map(json))
        case .dictionary(let dictionary): return .object(dictionary.keys.sorted().map { ($0, json(dictionary[$0]!)) })
        }
    }

    private static let lock = Mutex(())

    /// One write per line, so lines from two threads never interleave.
    static let standardError: @Sendable (String) -> Void = { line in
        let data = Data((line + "\n").utf8)
        lock.withLock { _ in FileHandle.standardError.write(data) }
    }
}
