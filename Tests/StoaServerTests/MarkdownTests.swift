import Conversations
import StoaCore
import Foundation
import Testing

/// Message Markdown as the UI shows it: lists right after a line of text, identifiers with
/// underscores, code escaped once, and hostile input that must stay inert (and finish: the
/// parser is linear-time; timings live in the benchmark, not here).
@Suite struct MarkdownTests {
    @Test("a list right after a line of text is a list; code fences are left alone")
    func listAfterText() {
        let html = MarkdownRenderer.html("Your open tasks:\n1. [ ] Buy milk\n2. [x] Call mom")
        #expect(html.contains("<ol>") && html.contains("<li>[ ] Buy milk</li>"), "\(html)")
        #expect(html.contains("<p>Your open tasks:</p>"))
        let bullets = MarkdownRenderer.html("Shopping:\n- milk\n- bread")
        #expect(bullets.contains("<ul>"), "\(bullets)")
        let code = MarkdownRenderer.html("```\nlist:\n- not a list\n```")
        #expect(!code.contains("<ul>") && code.contains("- not a list"), "\(code)")
    }

    @Test("underscores inside words stay underscores; real emphasis still works")
    func underscores() {
        let html = MarkdownRenderer.html("Set OPENAI_API_KEY and _really_ restart.")
        #expect(html.contains("OPENAI_API_KEY"), "\(html)")
        #expect(html.contains("<em>really</em>"), "\(html)")
    }

    @Test("raw HTML and javascript: links render inert")
    func inert() {
        let html = MarkdownRenderer.html("<img src=x onerror=alert(1)> and [click](javascript:alert(1))\n\nmore")
        #expect(!html.contains("<img"), "\(html)")
        #expect(!html.contains("javascript:"), "\(html)")
    }

    @Test("text and code are escaped exactly once", arguments: [
        ("Sure.", "<p>Sure.</p>"),
        ("", ""),
        ("Tom & \"Jerry\" <3 'x'", "<p>Tom &amp; &quot;Jerry&quot; &lt;3 &#39;x&#39;</p>"),
        ("`a<b`", "<p><code>a&lt;b</code></p>"),
        ("`&amp;` &amp;", "<p><code>&amp;amp;</code> &amp;amp;</p>"),
        ("```\nif a < b && c > \"d\" {}\n```", "<pre><code>if a &lt; b &amp;&amp; c &gt; &quot;d&quot; {}\n</code></pre>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("a\u{0}b", "<p>a\u{FFFD}b</p>"),
    ])
    func escaping(_ markdown: String, _ expected: String) {
        #expect(MarkdownRenderer.html(markdown) == expected)
    }

    @Test("blocks", arguments: [
        ("# One\n###### Six ##\n#hashtag", "<h1>One</h1>\n<h6>Six</h6>\n<p>#hashtag</p>"),
        ("Title\n=====\nSub\n---", "<h1>Title</h1>\n<h2>Sub</h2>"),
        ("one\ntwo\n\nthree", "<p>one\ntwo</p>\n<p>three</p>"),
        ("```swift\nlet x = 1\n```", "<pre><code class=\"language-swift\">let x = 1\n</code></pre>"),
        ("~~~c++\nx\n~~~", "<pre><code class=\"language-c++\">x\n</code></pre>"),
        ("    indented\n    code", "<pre><code>indented\ncode\n</code></pre>"),
        ("> quoted\n> > nested\nlazy", "<blockquote>\n<p>quoted</p>\n<blockquote>\n<p>nested\nlazy</p>\n</blockquote>\n</blockquote>"),
        ("- a\n  - b\n    - c\n- d", "<ul>\n<li>a\n<ul>\n<li>b\n<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n<li>d</li>\n</ul>"),
        ("* a\n\n* b", "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>"),
        ("3. c\n4. d", "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>"),
        ("Steps:\n1) one\n2) two", "<p>Steps:</p>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("I was born in\n1984. A year.", "<p>I was born in\n1984. A year.</p>"),
        ("a\n\n***\n\n- - -", "<p>a</p>\n<hr>\n<hr>"),
        ("| a | b |\n|:--|--:|\n| 1 | `x\\|y` |", "<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"right\">b</th>\n</tr>\n</thead>\n"
            + "<tbody>\n<tr>\n<td align=\"left\">1</td>\n<td align=\"right\"><code>x|y</code></td>\n</tr>\n</tbody>\n</table>"),
        ("- x\n  ```\n  code\n  ```\n- y", "<ul>\n<li>x\n<pre><code>code\n</code></pre>\n</li>\n<li>y</li>\n</ul>"),
        ("a\r\nb\r\n\r\n-\tc", "<p>a\nb</p>\n<ul>\n<li>c</li>\n</ul>"),
    ])
    func blocks(_ markdown: String, _ expected: String) {
        #expect(MarkdownRenderer.html(markdown) == expected)
    }

    @Test("inlines", arguments: [
        ("*em* _em_ **strong** __strong__ ~~del~~ ~approx~", "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong> <del>del</del> ~approx~</p>"),
        ("***both*** *a **b** c*", "<p><em><strong>both</strong></em> <em>a <strong>b</strong> c</em></p>"),
        ("snake_case_name __init__ 2*3*4", "<p>snake_case_name <strong>init</strong> 2<em>3</em>4</p>"),
        ("`` a`b `` ` `` `", "<p><code>a`b</code> <code>``</code></p>"),
        ("`unclosed ``x", "<p>`unclosed ``x</p>"),
        ("\\*not em\\* \\<b\\> \\a", "<p>*not em* &lt;b&gt; \\a</p>"),
        ("hard  \nbreak\\\nhere", "<p>hard<br>\nbreak<br>\nhere</p>"),
        ("[Stoa](https://stoa.dev \"The title\")", "<p><a href=\"https://stoa.dev\" title=\"The title\" rel=\"nofollow noopener noreferrer\">Stoa</a></p>"),
        ("[*a*](/x_(y)) [b](<c d>)", "<p><a href=\"/x_(y)\" rel=\"nofollow noopener noreferrer\"><em>a</em></a> <a href=\"c d\" rel=\"nofollow noopener noreferrer\">b</a></p>"),
        ("![a *cat*](cat.png 'Cat')", "<p><img src=\"cat.png\" alt=\"a cat\" title=\"Cat\"></p>"),
        ("[![i](i.png)](https://x.io)", "<p><a href=\"https://x.io\" rel=\"nofollow noopener noreferrer\"><img src=\"i.png\" alt=\"i\"></a></p>"),
        ("[a [b](c)](d)", "<p>[a <a href=\"c\" rel=\"nofollow noopener noreferrer\">b</a>](d)</p>"),
        ("[ref] and [ref][x]", "<p>[ref] and [ref][x]</p>"),
        ("<https://x.io/a?b=1&c> <me@x.io>", "<p><a href=\"https://x.io/a?b=1&amp;c\" rel=\"nofollow noopener noreferrer\">https://x.io/a?b=1&amp;c</a> "
            + "<a href=\"mailto:me@x.io\" rel=\"nofollow noopener noreferrer\">me@x.io</a></p>"),
        ("See https://en.wikipedia.org/wiki/Stoa_(architecture)).", "<p>See <a href=\"https://en.wikipedia.org/wiki/Stoa_(architecture)\" "
            + "rel=\"nofollow noopener noreferrer\">https://en.wikipedia.org/wiki/Stoa_(architecture)</a>).</p>"),
        ("[http://a.io](http://b.io)", "<p><a href=\"http://b.io\" rel=\"nofollow noopener noreferrer\">http://a.io</a></p>"),
    ])
    func inlines(_ markdown: String, _ expected: String) {
        #expect(MarkdownRenderer.html(markdown) == expected)
    }

    @Test("XSS payloads stay text", arguments: [
        "[x](http://a\" onmouseover=\"alert(1))",
        "[x](<http://a\" onmouseover=\"alert(1)>)",
        "[x](http://a \"t\\\" onmouseover=\\\"alert(1)\")",
        "![a\" onerror=\"x](http://a)",
        "![a](x.png \"\" onerror=\"alert(1)\")",
        "```js\" onload=\"x\ncode\n```",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<javascript:alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "[x](%6Aavascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](javascript&colon;alert(1))",
        "[x](java\\script:alert(1))",
        "[x](<javascript:alert(1)>)",
        "![x](javascript:alert(1))",
        "![x](data:image/svg+xml,<svg onload=alert(1)>)",
        "[x](vbscript:msgbox(1))",
        "[x](//evil.example)",
        "[x](\\\\\\\\evil.example)",
        "[x](%2F%2Fevil.example)",
        "<div onclick=\"alert(1)\">x</div>",
    ])
    func xss(_ payload: String) {
        let html = MarkdownRenderer.html(payload)
        #expect(MarkupAudit.problem(in: html) == nil, "\(html)")
        #expect(!html.contains(" on") || !html.contains("=\"alert"), "\(html)")
        for tag in ["<script", "<div", "<svg"] { #expect(!html.contains(tag), "\(html)") }
    }

    @Test("links and images with unsafe URLs show only their text", arguments: [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java&#x09;script:alert(1)", "java&Tab;script:alert(1)",
        "%6Aavascript:alert(1)", "%256Aavascript:alert(1)", "&#106;avascript:alert(1)", "javascript&colon;alert(1)", "vbscript:x",
        "data:text/html,x", "file:///etc/passwd", "//evil.example", "\\\\\\\\evil.example", "/\\\\evil.example", "%2F%2Fevil.example",
    ])
    func unsafeURLs(_ url: String) {
        let link = MarkdownRenderer.html("[label](\(url))")
        #expect(link == "<p>label</p>", "\(link)")
        let image = MarkdownRenderer.html("![alt text](\(url))")
        #expect(image == "<p>alt text</p>", "\(image)")
    }

    @Test("safe URLs are kept", arguments: ["https://x.io/a?b=c&d=e#f", "http://x.io", "mailto:a@x.io", "/relative", "docs/a.md", "?q=1", "#top", ""])
    func safeURLs(_ url: String) {
        let html = MarkdownRenderer.html("[label](\(url))")
        let escaped = url.replacingOccurrences(of: "&", with: "&amp;")
        #expect(html == "<p><a href=\"\(escaped)\" rel=\"nofollow noopener noreferrer\">label</a></p>", "\(html)")
    }

    @Test("images may not use mailto:")
    func mailtoImage() {
        #expect(MarkdownRenderer.html("![a](mailto:a@x.io)") == "<p>a</p>")
    }

    @Test("block nesting is capped; deeper markers are text")
    func nestingCap() {
        let quotes = MarkdownRenderer.html(String(repeating: "> ", count: 100) + "deep")
        #expect(quotes.components(separatedBy: "<blockquote>").count - 1 == 32)
        #expect(quotes.contains("&gt; &gt; deep"), "\(quotes.suffix(80))")
        let lists = MarkdownRenderer.html(String(repeating: "- ", count: 100) + "deep")
        #expect(lists.components(separatedBy: "<li>").count - 1 == 32)
    }

    /// Inputs that make backtracking or rescanning parsers quadratic or worse.
    static let pathologicalInputs: [(String, String)] = {
        let n = 32_000
        func repeated(_ s: String) -> String { String(String(repeating: s, count: n / s.count + 1).prefix(n)) }
        var indents = ""
        var depth = 0
        while indents.count < n {
            indents += String(repeating: " ", count: 2 * depth) + "- x\n"
            depth += 1
        }
        return [
            ("[", repeated("[")), ("[](", repeated("[](")), ("![", repeated("![")), ("*", repeated("*")), ("_", repeated("_")),
            ("**a", repeated("**a")), ("*a", repeated("*a")), ("_a_", repeated("_a_ ")), ("*a**", repeated("*a**")), ("~~a", repeated("~~a")),
            ("`", repeated("`")), ("` ``", repeated("` ``")), ("`a", repeated("`a")), ("\\`", repeated("\\`")), ("<", repeated("<")),
            ("<a", repeated("<a")), ("<a@", repeated("<a@")), ("&", repeated("&")), ("\\", repeated("\\")), ("> ", repeated("> ")),
            ("nested list indents", String(indents.prefix(n))), ("- ", repeated("- ")), ("1. ", repeated("1. ")), ("[a](", repeated("[a](")),
            ("](", repeated("](")), (")", repeated(")")), ("(", repeated("(")), ("[a](<", repeated("[a](<")), ("[a](b \"", repeated("[a](b \"")),
            ("[a](b (", repeated("[a](b (")), ("[](a + spaces", String(repeated("[](a").prefix(n / 2) + repeated(" ").prefix(n / 2))),
            ("[[a](b)", String(repeated("[").prefix(n / 2) + repeated("[a](b)").prefix(n / 2))), ("spaces", repeated(" ")), ("newlines", repeated("\n")),
            ("http://", repeated("http://")), (" http://a(", repeated(" http://a(")), ("- a\\n", repeated("- a\n")), ("```\\n", repeated("```\n")),
            ("| columns", String(repeated("|a").prefix(n / 2) + "\n" + repeated("|-").prefix(n / 2 - 1))), ("\\t", repeated("\t")),
        ]
    }()

    @Test("pathological inputs render, with only allow-listed markup", arguments: pathologicalInputs)
    func pathological(_ name: String, _ markdown: String) {
        let html = MarkdownRenderer.html(markdown)
        #expect(MarkupAudit.problem(in: html) == nil, "\(name)")
        #expect(html.utf8.count <= 64 * markdown.utf8.count + 256, "\(name)")
    }

    @Test("random Markdown-ish input produces only allow-listed markup")
    func randomInputs() {
        let pieces = ["*", "_", "**", "~~", "`", "``", "[", "]", "(", ")", "](", "![", "<", ">", "&", "\\", "\"", "'", "\n", "\n\n", " ", "  ",
                      "\t", "a", "b", "é", "\u{0}", "#", "- ", "1. ", "> ", "|", "---", "```", ":", "http://x.io/", "javascript:", "<a@b.c>",
                      "<http://a>", "&#x6A;", "%6A", "onerror=", "<script>", "www.", "|-|"]
        var random = SplitMix64(seed: 0x5704)
        for _ in 0..<2000 {
            let length = Int(random.next() % 60)
            let markdown = (0..<length).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            let html = MarkdownRenderer.html(markdown)
            if let problem = MarkupAudit.problem(in: html) {
                Issue.record("\(problem): \(markdown.debugDescription) → \(html.debugDescription)")
                return
            }
        }
    }
}

/// A seeded generator, so a failing random input can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Reads the renderer's output as a browser would and checks its contract: every `<` starts an
/// allow-listed tag with allow-listed attributes, every `>` and `&` outside tags is escaped,
/// tags nest, links do not nest, and href/src have an http, https, mailto or no scheme.
private enum MarkupAudit {
    static let attributes: [String: Set<String>] = [
        "p": [], "br": [], "h1": [], "h2": [], "h3": [], "h4": [], "h5": [], "h6": [], "strong": [], "em": [], "del": [],
        "code": ["class"], "pre": [], "blockquote": [], "ul": [], "ol": ["start"], "li": [], "a": ["href", "title", "rel"],
        "img": ["src", "alt", "title"], "hr": [], "table": [], "thead": [], "tbody": [], "tr": [], "th": ["align"], "td": ["align"],
    ]
    static let voidTags: Set = ["br", "hr", "img"]
    static let escapes = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].map { Array($0.utf8) }

    /// The first way `html` breaks the contract, or nil.
    static func problem(in html: String) -> String? {
        let b = Array(html.utf8)
        var open: [String] = []
        var i = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: ">"):
                return "bare > at \(i)"
            case UInt8(ascii: "&"):
                guard escapes.contains(where: { b[i...].starts(with: $0) }) else { return "bare & at \(i)" }
                i += 1
            case UInt8(ascii: "<"):
                guard let (tag, end) = readTag(b, at: i) else { return "unreadable tag at \(i)" }
                if let problem = check(tag, open: &open) { return "\(problem) at \(i)" }
                i = end
            default:
                i += 1
            }
        }
        return open.isEmpty ? nil : "unclosed \(open)"
    }

    struct Tag {
        var name: String
        var closing: Bool
        var attributes: [(name: String, value: String)]
    }

    /// `<name a="v" …>` or `</name>`; nil for anything else.
    static func readTag(_ b: [UInt8], at start: Int) -> (Tag, Int)? {
        var i = start + 1
        func word() -> String {
            let from = i
            while i < b.count, (b[i] >= 0x61 && b[i] <= 0x7A) || (b[i] >= 0x30 && b[i] <= 0x39) { i += 1 }
            return String(decoding: b[from..<i], as: UTF8.self)
        }
        let closing = i < b.count && b[i] == UInt8(ascii: "/")
        if closing { i += 1 }
        var tag = Tag(name: word(), closing: closing, attributes: [])
        while i < b.count, b[i] == UInt8(ascii: " "), !closing {
            i += 1
            let name = word()
            guard i + 1 < b.count, b[i] == UInt8(ascii: "="), b[i + 1] == UInt8(ascii: "\"") else { return nil }
            i += 2
            let from = i
            while i < b.count, b[i] != UInt8(ascii: "\"") {
                if b[i] == UInt8(ascii: "<") || b[i] == UInt8(ascii: ">") { return nil }
                if b[i] == UInt8(ascii: "&"), !escapes.contains(where: { b[i...].starts(with: $0) }) { return nil }
                i += 1
            }
            guard i < b.count else { return nil }
            tag.attributes.append((name, String(decoding: b[from..<i], as: UTF8.self)))
            i += 1
        }
        guard i < b.count, b[i] == UInt8(ascii: ">"), !tag.name.isEmpty else { return nil }
        return (tag, i + 1)
    }

    static func check(_ tag: Tag, open: inout [String]) -> String? {
        guard let allowed = attributes[tag.name] else { return "tag <\(tag.name)>" }
        if tag.closing {
            guard open.last == tag.name else { return "</\(tag.name)> closes \(open.last ?? "nothing")" }
            open.removeLast()
            return nil
        }
        if tag.name == "a", open.contains("a") { return "link inside a link" }
        if !voidTags.contains(tag.name) { open.append(tag.name) }
        var seen: Set<String> = []
        for (name, value) in tag.attributes {
            guard allowed.contains(name), seen.insert(name).inserted else { return "attribute \(name) on <\(tag.name)>" }
            if let problem = checkValue(of: name, value, image: tag.name == "img") { return problem }
        }
        return nil
    }

    static func checkValue(of name: String, _ value: String, image: Bool) -> String? {
        switch name {
        case "href", "src":
            var url = value
            for (escape, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
                url = url.replacingOccurrences(of: escape, with: character)
            }
            let compact = String(String.UnicodeScalarView(url.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F })).lowercased()
            if compact.hasPrefix("javascript:") || compact.hasPrefix("vbscript:") || compact.hasPrefix("data:") || compact.hasPrefix("//") {
                return "unsafe \(name) \(value)"
            }
            // As a browser reads it: a scheme is a letter then letters, digits, `+-.`, before a `:`
            // that comes before any `/`, `\`, `?` or `#`; otherwise the URL is relative.
            let head = compact.prefix { !"/\\?#".contains($0) }
            if let colon = head.firstIndex(of: ":"), let first = head.first, first.isLetter,
               head[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) {
                let scheme = head[..<colon]
                guard scheme == "http" || scheme == "https" || (scheme == "mailto" && !image) else { return "scheme of \(name) \(value)" }
            }
        case "class":
            let language = value.dropFirst("language-".count)
            guard value.hasPrefix("language-"), !language.isEmpty,
                  language.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_+-#.".contains($0)) }) else { return "class \(value)" }
        case "rel":
            guard value == "nofollow noopener noreferrer" else { return "rel \(value)" }
        case "start":
            guard !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }) else { return "start \(value)" }
        case "align":
            guard ["left", "center", "right"].contains(value) else { return "align \(value)" }
        default:
            break
        }
        return nil
    }
}
