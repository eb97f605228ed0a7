// libFuzzer target for MarkdownRenderer (Sources/StoaCore/Markdown/*.swift), compiled into one module with it:
//   swiftc -sanitize=fuzzer -parse-as-library -O Tests/Fuzz/markdown/main.swift Sources/StoaCore/Markdown/*.swift -o .build-fuzz/markdown
//   .build-fuzz/markdown -max_len=4096 -timeout=2
// The input, decoded as UTF-8 (invalid bytes become U+FFFD), is rendered. Traps if the HTML has a
// tag or attribute outside the renderer's allow-list, a `<`, `>` or `&` that is not markup or one
// of the five escapes, an href/src with a scheme other than http, https or mailto (javascript:
// included, however spelled), tags that do not nest, a link inside a link, or output out of
// proportion to the input; or if the plain-text fast path disagrees with the full parser.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let markdown = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let html = MarkdownRenderer.html(markdown)
    if let problem = HTMLAudit.problem(in: html) {
        fatalError("\(problem)\ninput: \(markdown.debugDescription)\nhtml: \(html.debugDescription)")
    }
    let input = Array(markdown.utf8)
    if html.utf8.count > 64 * input.count + 256 {
        fatalError("\(html.utf8.count) bytes of HTML for \(input.count) of Markdown: \(markdown.debugDescription)")
    }
    if MarkdownRenderer.isPlainText(input) {
        var parser = MarkdownRenderer.BlockParser(input)
        var parsed = MarkdownRenderer.HTMLWriter(capacity: 0)
        parsed.render(parser.parse())
        if parsed.string != html {
            fatalError("fast path \(html.debugDescription), parser \(parsed.string.debugDescription) for \(markdown.debugDescription)")
        }
    }
    return 0
}

/// An independent reading of the renderer's output contract (it shares no code with the renderer).
enum HTMLAudit {
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

    /// `<name a="v" …>` or `</name>`, exactly as the renderer writes tags; nil for anything else.
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
