import HTTPTypes
import Hummingbird
import NIOCore
import StoaCore

extension Response {
    /// A JSON response from a ``JSONValue`` (key order kept).
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.serializedBytes)))
    }

    /// The response for a ``StoaError``: `{message, code}` (Better Auth's key order), or an empty body.
    static func error(_ error: StoaError) -> Response {
        var headers = HTTPFields()
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        let status = HTTPResponse.Status(code: error.status)
        if error.emptyBody { return Response(status: status, headers: headers) }
        var pairs: [(String, JSONValue)] = []
        if let message = error.message { pairs.append(("message", .string(message))) }
        if let code = error.code { pairs.append(("code", .string(code))) }
        return .json(.object(pairs), status: status, headers: headers)
    }
}
