import Foundation
import Hummingbird
import NIOCore
import StoaCore

extension StoaError {
    /// A request body over ``Request/maxBodyBytes``.
    static let bodyTooLarge = StoaError(status: 413, code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than 1 MiB.")
}

extension Request {
    /// The largest body any route accepts.
    static let maxBodyBytes = 1 << 20

    /// The body, at most 1 MiB (else `413 PAYLOAD_TOO_LARGE`); `nil` when it is empty or only whitespace.
    func collectBodyData() async throws -> Data? {
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            throw StoaError.bodyTooLarge
        }
        let bytes = Data(buffer.readableBytesView)
        return bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) ? nil : bytes
    }

    /// The media type of `Content-Type`, lowercased, without parameters ("" when absent).
    var mediaType: String {
        let value = headers[.contentType] ?? ""
        // What comes before the first ';' (the parameters follow it), trimmed, in lower case.
        return value[..<(value.firstIndex(of: ";") ?? value.endIndex)].trimmingWhitespace.lowercased()
    }
}
