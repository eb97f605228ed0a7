import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import StoaCore

/// The web UI: one HTML shell for every page path (the client routes between them) and the
/// files under `/assets/`. Built-in files are read once at start-up; `STOA_WEB_DIR` serves a
/// folder from disk instead, re-read on every request, for UI development. Only the
/// all-in-one role serves the UI (it signs in through `/api/auth` on the same origin).
struct WebRoutes: Sendable {
    /// Page paths answered with the app shell. `/c/{id}` is added separately.
    static let pages = ["/", "/login", "/register", "/forgot-password", "/reset-password", "/verify-email", "/settings"]
    /// Pages that need a signed-in user; without one they redirect to `/login?next=…`.
    static let protectedPages: Set<String> = ["/", "/settings"]

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        HTTPField.Name("X-Frame-Options")!: "DENY",
    ]

    let files: WebFiles
    /// Answers whether a request's session cookie is live (protected pages redirect otherwise).
    let sessions: AuthService
    let cookies: AuthCookies

    func register(on router: Router<AppRequestContext>) {
        for page in Self.pages {
            router.get(RouterPath(page)) { request, _ in try await shell(request, protected: Self.protectedPages.contains(page)) }
        }
        router.get("c/:id") { request, _ in try await shell(request, protected: true) }
        router.get("assets/**") { request, context in
            let name = context.parameters.getCatchAll().joined(separator: "/")
            return try asset(name, request: request)
        }
        router.get("favicon.ico") { request, _ in try asset("favicon.svg", request: request) }
    }

    func shell(_ request: Request, protected: Bool) async throws -> Response {
        if protected, try await !signedIn(request) {
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let next = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-_.~"))) ?? "/"
            return Response(status: .seeOther, headers: [.location: "/login?next=" + next, .cacheControl: "no-store"])
        }
        guard let file = try files.file("index.html") else { throw StoaError(status: 404, code: "NOT_FOUND", message: "There is no such page.") }
        var headers = Self.securityHeaders
        headers[.contentType] = file.contentType
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }

    func asset(_ name: String, request: Request) throws -> Response {
        guard let file = try files.file("assets/" + name) else { throw StoaError(status: 404, code: "NOT_FOUND", message: "There is no such page.") }
        var headers = Self.securityHeaders
        headers[.contentType] = file.contentType
        headers[.eTag] = file.etag
        headers[.cacheControl] = "no-cache"
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }

    /// Whether the request carries a live session cookie (no refresh: the page's own API calls do that).
    func signedIn(_ request: Request) async throws -> Bool {
        guard let cookie = request.headers[.cookie], let token = cookies.sessionToken(from: AuthCookies.parse(cookie)),
              token.count <= 256 else { return false }
        return try await sessions.currentSession(token: token, refresh: false) != nil
    }
}

/// The web UI's files: loaded once from the package resources, or read from a folder on
/// every request (`STOA_WEB_DIR`).
struct WebFiles: Sendable {
    struct File: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let etag: String
    }

    let directory: URL?
    let cached: [String: File]

    /// The built-in files (package resources), or `directory` when given.
    init(directory: String?) {
        if let directory {
            self.directory = URL(fileURLWithPath: directory, isDirectory: true)
            self.cached = [:]
        } else {
            self.directory = nil
            var cached: [String: File] = [:]
            if let root = Bundle.module.url(forResource: "Web", withExtension: nil) {
                for name in Self.list(root) {
                    if let file = try? Self.load(root.appendingPathComponent(name), name: name) { cached[name] = file }
                }
            }
            self.cached = cached
        }
    }

    func file(_ name: String) throws -> File? {
        // Names come from the URL: allow plain relative paths only.
        guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/" as Character).contains(where: { $0 == ".." || $0 == "." || $0.hasPrefix(".") }) else {
            return nil
        }
        guard let directory else { return cached[name] }
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Self.load(url, name: name)
    }

    static func list(_ root: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        let prefix = root.standardizedFileURL.path + "/"
        var names: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let path = url.standardizedFileURL.path
            if path.hasPrefix(prefix) { names.append(String(path.dropFirst(prefix.count))) }
        }
        return names
    }

    static func load(_ url: URL, name: String) throws -> File {
        let data = try Data(contentsOf: url)
        // FNV-1a: the same bytes give the same tag on every replica and after restarts.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let etag = "\"" + String(hash, radix: 36) + "-" + String(data.count, radix: 36) + "\""
        return File(bytes: ByteBuffer(bytes: data), contentType: contentType(name), etag: etag)
    }

    static func contentType(_ name: String) -> String {
        switch name.split(separator: "." as Character).last.map(String.init) ?? "" {
        case "html": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "json": return "application/json"
        case "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}
