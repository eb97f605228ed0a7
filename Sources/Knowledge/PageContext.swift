import Foundation

/// The documentation page a question was asked from (the widget sends the host page's URL
/// and title). Passages of the document published at that URL rank first when they match.
public struct PageContext: Sendable, Equatable {
    /// The page's absolute http(s) URL.
    public let url: String
    /// The page's title (informational; ranking uses the URL).
    public let title: String?
    /// ``url`` in the form ``normalized(_:)`` gives.
    public let key: String

    /// Longest accepted URL and title (characters).
    public static let maxURLLength = 2048
    public static let maxTitleLength = 300

    /// `nil` when `url` is not an absolute http(s) URL with a host, or is too long.
    public init?(url: String, title: String? = nil) {
        guard url.count <= Self.maxURLLength, let key = Self.normalized(url) else { return nil }
        self.url = url
        self.title = title.map { String($0.prefix(Self.maxTitleLength)) }
        self.key = key
    }

    /// The URL compared between a page and a document's source: lowercased scheme and host,
    /// default port dropped, no query, no fragment, no trailing slash, and a final
    /// `/index.html` or `.html` removed (a static site serves `/guide/install/`,
    /// `/guide/install.html` and `/guide/install` for the same page). `nil` for anything
    /// but an absolute http(s) URL with a host.
    public static func normalized(_ url: String) -> String? {
        guard url.count <= maxURLLength, !url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7f }),
              let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty else { return nil }
        var origin = scheme + "://" + host
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) { origin += ":\(port)" }
        var path = components.percentEncodedPath
        if path.lowercased().hasSuffix("/index.html") { path.removeLast("index.html".count) }
        else if path.lowercased().hasSuffix(".html") { path.removeLast(".html".count) }
        while path.hasSuffix("/") { path.removeLast() }
        return origin + path
    }

    /// Whether a passage's source (the document URL, maybe with a heading `#anchor`) is this page.
    public func matches(source: String?) -> Bool {
        guard let source, let other = Self.normalized(source) else { return false }
        return other == key
    }
}

/// A search that puts the passages of the reader's current page first: it asks the
/// underlying search for a deeper list, moves the hits whose document is the page to the
/// front (keeping each group's order), and keeps `limit`. Only passages that matched the
/// query are ever moved, so a page never adds unrelated text, and a page that matches no
/// document leaves the ranking exactly as it was.
public struct PageBoostedSearch: DocumentSearching {
    public let base: any DocumentSearching
    public let page: PageContext
    /// How many hits are read to find the page's passages (at least `limit`).
    public static let depth = 20

    public init(base: any DocumentSearching, page: PageContext) {
        self.base = base
        self.page = page
    }

    public func search(_ query: String, limit: Int) async throws -> [SearchHit] {
        guard limit > 0 else { return [] }
        let hits = try await base.search(query, limit: max(limit, Self.depth))
        let onPage = hits.filter { page.matches(source: $0.source) }
        guard !onPage.isEmpty else { return Array(hits.prefix(limit)) }
        let elsewhere = hits.filter { !page.matches(source: $0.source) }
        return Array((onPage + elsewhere).prefix(limit))
    }
}
