import Foundation
import HTTPTypes
import Hummingbird
import Identity
import MCP
import NIOCore
import ServiceLifecycle
import StoaCore

/// Converts between Hummingbird's requests and responses and the MCP SDK's framework-agnostic
/// `HTTPRequest` / `HTTPResponse` (the SDK has no Hummingbird adapter).
enum MCPHTTPAdapter {
    /// The SDK request for `request` with `body`. Credentials (`Authorization`, `Cookie`) are
    /// left out: they were verified already, and the SDK keeps requests in memory for handlers.
    static func request(_ request: Hummingbird.Request, body: Data?) -> MCP.HTTPRequest {
        var headers: [String: String] = [:]
        for field in request.headers where field.name != .authorization && field.name != .cookie {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        return MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: body, path: request.uri.path)
    }

    /// The Hummingbird response for an SDK response. A standalone SSE stream (`GET /mcp`) ends
    /// when the server shuts down gracefully, so an idle listener cannot hold shutdown up.
    static func response(_ response: MCP.HTTPResponse, endOnShutdown: Bool = false) -> Hummingbird.Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        let status = HTTPTypes.HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            return Hummingbird.Response(status: status, headers: fields, body: ResponseBody { writer in
                if endOnShutdown {
                    for try await chunk in stream.cancelOnGracefulShutdown() { try await writer.write(ByteBuffer(bytes: chunk)) }
                } else {
                    for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                }
                try await writer.finish(nil)
            })
        default:
            let body = response.bodyData.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody()
            return Hummingbird.Response(status: status, headers: fields, body: body)
        }
    }

    /// A JSON-RPC error answer (what MCP clients expect from the transport), e.g. 404 for an
    /// unknown session.
    /// The body is built here, not by the SDK, so that it is byte-for-byte stable: an unknown
    /// session and another user's session must give the very same answer.
    static func error(_ status: Int, _ message: String) -> Hummingbird.Response {
        let body = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", .null),
            ("error", .object([("code", .number(-32600)), ("message", .string(message))])),
        ]).serialized
        return Hummingbird.Response(status: HTTPTypes.HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                                    body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Whether `body` is a JSON-RPC `initialize` request (which opens a session).
    static func isInitializeRequest(_ body: Data?) -> Bool {
        guard let body, let object = JSONValue.parse(body, limits: .request), object.isObject else { return false }
        return object["method"]?.stringValue == "initialize" && object["id"] != nil
    }

    /// How many `tools/call` requests a body holds (one message or a batch); 0 when it is not JSON.
    static func toolCallCount(_ body: Data?) -> Int {
        guard let body, let value = JSONValue.parse(body, limits: .request) else { return 0 }
        let messages: [JSONValue]
        if case .array(let items) = value { messages = items } else { messages = [value] }
        return messages.filter { $0["method"]?.stringValue == "tools/call" }.count
    }
}

/// Refuses an `Origin` the server does not trust (browsers send it; agents usually do not).
/// `Host` is not checked: every request also needs a bearer token, which a DNS-rebinding page
/// does not have.
struct MCPOriginValidator: HTTPRequestValidator {
    let origins: OriginPolicy

    func validate(_ request: MCP.HTTPRequest, context: HTTPValidationContext) -> MCP.HTTPResponse? {
        guard let origin = request.header(HTTPHeaderName.origin), !origins.isTrusted(url: origin) else { return nil }
        return .error(statusCode: 403, .invalidRequest("Forbidden: Origin not allowed"), sessionID: context.sessionID)
    }
}

/// Gives the SDK transport the session id the session table chose.
struct MCPFixedSessionID: SessionIDGenerator {
    let id: String
    func generateSessionID() -> String { id }
}
