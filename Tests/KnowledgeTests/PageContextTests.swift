import Foundation
import Knowledge
import Testing

/// Page context (issue 23): the reader's current page ranks its own matching passages first;
/// a page that matches nothing changes nothing; hostile page URLs are refused.
@Suite struct PageContextTests {
    /// A search that answers a fixed list (best first), cut to `limit`, and records the limits asked.
    struct FixedSearch: DocumentSearching {
        let hits: [SearchHit]
        func search(_ query: String, limit: Int) async throws -> [SearchHit] { Array(hits.prefix(limit)) }
    }

    static func hit(_ n: Int, _ source: String?) -> SearchHit {
        SearchHit(documentID: "d\(n)", chunkID: "c\(n)", title: "Doc \(n)", source: source, headingPath: [], snippet: "s\(n)", text: "t\(n)",
                  score: Double(100 - n))
    }

    static let hits: [SearchHit] = [
        hit(1, "https://docs.example/guide/install#requirements"),
        hit(2, "https://docs.example/guide/config#env"),
        hit(3, nil),
        hit(4, "https://docs.example/guide/tokens"),
        hit(5, "https://docs.example/guide/config#files"),
    ] + (6...30).map { hit($0, "https://docs.example/other/\($0)") }

    @Test("the same page in its many spellings normalises to one key")
    func normalisation() {
        let forms = ["https://docs.example/guide/config", "https://docs.example/guide/config/", "HTTPS://Docs.Example/guide/config?x=1#top",
                     "https://docs.example:443/guide/config", "https://docs.example/guide/config.html", "https://docs.example/guide/config/index.html",
                     "https://docs.example/guide/config//"]
        for form in forms { #expect(PageContext.normalized(form) == "https://docs.example/guide/config", "\(form)") }
        #expect(PageContext.normalized("http://127.0.0.1:8123/a/") == "http://127.0.0.1:8123/a")
        #expect(PageContext.normalized("https://docs.example/") == "https://docs.example")
        #expect(PageContext.normalized("https://docs.example/guide/Config") != "https://docs.example/guide/config", "paths stay case-sensitive")
        #expect(PageContext.normalized("http://docs.example/guide/config") != PageContext.normalized("https://docs.example/guide/config"))
    }

    @Test("hostile and non-http page URLs are refused", arguments: [
        "", "   ", "javascript:alert(1)", "data:text/html,<script>", "ftp://docs.example/x", "file:///etc/passwd", "//docs.example/x",
        "/guide/config", "https://", "http:///path", "https://docs.example/a b", "https://docs.example/\u{0}x", "https://docs.example/\nx",
        "https://" + String(repeating: "a", count: 2100) + ".example/", "http://[::1", "mailto:a@b.c", "https://docs.example/\u{7f}",
    ])
    func hostile(_ url: String) {
        #expect(PageContext(url: url) == nil, "\(url.prefix(60))")
    }

    @Test("a long title is cut, never refused") func title() {
        let page = PageContext(url: "https://docs.example/x", title: String(repeating: "t", count: 5000))
        #expect(page?.title?.count == PageContext.maxTitleLength)
    }

    @Test("the page's matching passages move to the top, in their own order; the rest keep theirs")
    func boost() async throws {
        let page = try #require(PageContext(url: "https://docs.example/guide/config/?utm=1#intro", title: "Config"))
        let boosted = try await PageBoostedSearch(base: FixedSearch(hits: Self.hits), page: page).search("q", limit: 4)
        #expect(boosted.map(\.chunkID) == ["c2", "c5", "c1", "c3"])
    }

    @Test("a passage of the page just below the cut-off is pulled in; one past the search depth is not")
    func depth() async throws {
        let near = try #require(PageContext(url: "https://docs.example/other/12"))
        let pulled = try await PageBoostedSearch(base: FixedSearch(hits: Self.hits), page: near).search("q", limit: 3)
        #expect(pulled.map(\.chunkID) == ["c12", "c1", "c2"])
        let far = try #require(PageContext(url: "https://docs.example/other/25"))
        let unchanged = try await PageBoostedSearch(base: FixedSearch(hits: Self.hits), page: far).search("q", limit: 3)
        #expect(unchanged.map(\.chunkID) == ["c1", "c2", "c3"])
    }

    @Test("a page that matches no document, or another site with the same path, changes nothing")
    func noMatch() async throws {
        let plain = try await FixedSearch(hits: Self.hits).search("q", limit: 5)
        for url in ["https://docs.example/nowhere", "https://elsewhere.example/guide/config", "http://docs.example/guide/config",
                    "https://docs.example/guide", "https://docs.example/guide/config/more"] {
            let page = try #require(PageContext(url: url))
            let boosted = try await PageBoostedSearch(base: FixedSearch(hits: Self.hits), page: page).search("q", limit: 5)
            #expect(boosted == plain, "\(url)")
        }
        let page = try #require(PageContext(url: "https://docs.example/guide/config"))
        #expect(try await PageBoostedSearch(base: FixedSearch(hits: Self.hits), page: page).search("q", limit: 0).isEmpty)
        #expect(try await PageBoostedSearch(base: FixedSearch(hits: []), page: page).search("q", limit: 5).isEmpty)
    }

    @Test("passages whose source is hostile or missing never match a page")
    func hostileSources() async throws {
        let page = try #require(PageContext(url: "https://docs.example/guide/config"))
        for source in [nil, "", "guide/config", "javascript:https://docs.example/guide/config", "https://docs.example/guide/config\u{0}",
                       String(repeating: "x", count: 10_000)] as [String?] {
            #expect(!page.matches(source: source), "\(String(describing: source?.prefix(40)))")
        }
        #expect(page.matches(source: "https://docs.example/guide/config#env"))
    }
}
