import Conversations
import Testing

/// Message Markdown as the UI shows it: lists right after a line of text, identifiers with
/// underscores, and hostile HTML.
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
}
