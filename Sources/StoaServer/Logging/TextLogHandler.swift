import Logging

/// `STOA_LOG_FORMAT=text` (the default): swift-log's `StreamLogHandler` lines on standard error,
/// with the logger's own metadata kept here and handed over only when a line is written.
///
/// `StreamLogHandler` formats all of its metadata again whenever one key changes, and every
/// request sets one (`request_id`): that was about 2 % of a `get-session` request's CPU
/// (issue 20). The lines are the same: the stream handler sorts and merges the metadata it is
/// given exactly as it does its own.
public struct TextLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(label: String) {
        stream = .standardError(label: label)
    }

    /// A handler over any stream handler (tests give one that writes to a buffer).
    init(_ stream: StreamLogHandler) {
        self.stream = stream
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = event.metadata.map { metadata.merging($0) { _, call in call } } ?? metadata
        }
        stream.log(event: event)
    }
}
