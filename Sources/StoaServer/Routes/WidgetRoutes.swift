import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import StoaCore

/// The embeddable documentation-site assistant (issue 23): `GET /widget.js`, one
/// self-contained script a host page loads with a `<script>` tag, and `GET /widget/status`,
/// which tells the widget whether its host page's origin may call the API.
///
/// `widget.js` is cached for a day and revalidated with a strong ETag (a deploy is picked up
/// within a day, or at once by a page that loads `widget.js?v=<release>`: any `v` makes the
/// response `immutable` for a year, since a new release changes the URL).
struct WidgetRoutes: Sendable {
    static let maxAge = 86_400
    static let pinnedMaxAge = 31_536_000

    let files: WebFiles
    let origins: OriginPolicy

    func register(on router: Router<AppRequestContext>) {
        router.get("widget.js") { request, _ in try script(request) }
        router.get("widget/status") { request, _ in status(request) }
    }

    func script(_ request: Request) throws -> Response {
        guard let file = try files.file("widget.js") else { throw StoaError(status: 404, code: "NOT_FOUND", message: "There is no such page.") }
        let pinned = request.uri.queryParameters["v"].map { !$0.isEmpty } ?? false
        var headers = HTTPFields()
        headers[.contentType] = "text/javascript; charset=utf-8"
        headers[.eTag] = file.etag
        headers[.cacheControl] = pinned ? "public, max-age=\(Self.pinnedMaxAge), immutable" : "public, max-age=\(Self.maxAge)"
        headers[.xContentTypeOptions] = "nosniff"
        // Host pages on any origin load it with a plain <script> tag (no CORS needed); this
        // says so explicitly for pages that send Cross-Origin-Embedder-Policy.
        headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "cross-origin"
        // Lets the host page's Resource Timing see the script's size and timings.
        headers[HTTPField.Name("Timing-Allow-Origin")!] = "*"
        if let tags = request.headers[.ifNoneMatch], Self.matches(tags, etag: file.etag) {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }

    /// `If-None-Match` is a list (`"a", "b"`) or `*`; a weak `W/` tag matches its strong form.
    static func matches(_ header: String, etag: String) -> Bool {
        guard header.count <= 4096 else { return false }
        return header.split(separator: "," as Character).contains { part in
            let tag = part.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    /// `{origin, trusted}` for the request's `Origin`, readable from any origin (`*`, no
    /// credentials) so a widget on an untrusted page can say what to configure instead of
    /// failing silently. It reveals only whether the caller's own origin is trusted.
    func status(_ request: Request) -> Response {
        let origin = request.headers[.origin].flatMap { $0 == "null" || $0.count > 512 ? nil : OriginPolicy.origin(of: $0) }
        let trusted = request.headers[.origin].map { $0 != "null" && $0.count <= 512 && origins.isTrusted(url: $0) } ?? true
        let body = JSONValue.object([
            ("origin", origin.map(JSONValue.string) ?? .null),
            ("trusted", .bool(trusted)),
            ("setting", .string("BETTER_AUTH_TRUSTED_ORIGINS")),
        ])
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        // Trusted origins get their own origin from the CORS middleware, which runs after this.
        headers[.accessControlAllowOrigin] = "*"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
    }
}
