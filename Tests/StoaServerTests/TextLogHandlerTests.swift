import Foundation
import Logging
import Synchronization
import Testing
@testable import StoaServer

/// The text log handler writes the lines swift-log's `StreamLogHandler` writes, while keeping
/// its metadata aside until a line is written (issue 20).
@Suite struct TextLogHandlerTests {
    /// Collects written lines (the stream handler owns a `SinkStream` onto it).
    final class Sink: Sendable {
        let lines = Mutex<[String]>([])
        var stream: SinkStream { SinkStream(sink: self) }
    }
    struct SinkStream: TextOutputStream, Sendable {
        let sink: Sink
        func write(_ string: String) { sink.lines.withLock { $0.append(string) } }
    }

    /// A line without its leading timestamp (the first space-separated field).
    static func body(_ line: String) -> String { String(line.drop(while: { $0 != " " })) }

    @Test("same lines as StreamLogHandler: the logger's metadata, the call's, both with overlapping keys, none")
    func sameLines() {
        let plain = Sink(), ours = Sink()
        var reference = StreamLogHandler(label: "stoa", stream: plain.stream, metadataProvider: nil)
        var handler = TextLogHandler(StreamLogHandler(label: "stoa", stream: ours.stream, metadataProvider: nil))
        reference.logLevel = .debug
        handler.logLevel = .debug
        #expect(handler.logLevel == .debug)
        let calls: [Logger.Metadata?] = [nil, [:], ["route": "/api/me"], ["request_id": "from-the-call", "a": "1"]]
        for setup in [Logger.Metadata(), ["request_id": "r-1"], ["request_id": "r-2", "user": "u", "z": ["x", "y"]]] {
            reference.metadata = setup
            for (key, value) in setup { handler[metadataKey: key] = value }
            for key in handler.metadata.keys where setup[key] == nil { handler[metadataKey: key] = nil }
            #expect(handler.metadata == setup)
            for call in calls {
                let event = LogEvent(level: .warning, message: "the database failed", metadata: call, source: "Storage", file: #fileID, function: #function, line: #line)
                reference.log(event: event)
                handler.log(event: event)
            }
        }
        let expected = plain.lines.withLock { $0 }.map(Self.body)
        let got = ours.lines.withLock { $0 }.map(Self.body)
        #expect(expected.count == 12)
        #expect(got == expected)
        #expect(got.contains { $0.contains("request_id=from-the-call") }, "the call's value wins over the logger's")
    }
}
