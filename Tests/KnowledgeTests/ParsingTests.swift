import Foundation
import Knowledge
import Testing

/// Markdown, MDX and HTML reduced to titled sections; chunks that follow headings.
@Suite struct ParsingTests {
    @Test("Markdown: front matter title, heading paths, code fences are not headings, inline syntax removed")
    func markdown() {
        let text = """
            ---
            title: "The Guide"
            sidebar: 2
            ---
            # Welcome

            Intro with a [link](https://x.io) and **bold** and `code`.

            ## Install

            ```sh
            # not a heading
            swift build
            ```

            ### On Linux

            - apt-get install postgresql
            """
        let doc = ParsedDocument.parse(text, format: .markdown, fallbackTitle: "file")
        #expect(doc.title == "The Guide")
        #expect(doc.sections.map(\.headings) == [["Welcome"], ["Welcome", "Install"], ["Welcome", "Install", "On Linux"]])
        #expect(doc.sections[0].text == "Intro with a link and bold and code.")
        #expect(doc.sections[1].text.contains("# not a heading"))
        #expect(doc.sections[2].text == "apt-get install postgresql")
        #expect(ParsedDocument.parse("# Only heading\n\ntext", format: .markdown, fallbackTitle: "f").title == "Only heading")
        #expect(ParsedDocument.parse("plain words", format: .markdown, fallbackTitle: "f").title == "f")
    }

    @Test("MDX: import/export lines and JSX tags dropped, their text kept")
    func mdx() {
        let text = """
            import Callout from '../components/Callout'
            export const meta = {}

            # Page

            <Callout type="tip">Press **Enter** to send.</Callout>
            <Figure src="x.png" />
            Done {/* a comment */} here.
            """
        let doc = ParsedDocument.parse(text, format: .mdx, fallbackTitle: "f")
        #expect(doc.title == "Page")
        #expect(doc.sections.count == 1)
        #expect(doc.sections[0].text == "Press Enter to send.\n\nDone  here.")
        #expect(!doc.sections[0].text.contains("import"))
    }

    @Test("HTML: <title>, headings, entities; script, style and comments never reach the text")
    func html() {
        let text = """
            <html><head><title>MCP &amp; agents</title><style>.x { color: red } Zephyrine</style></head>
            <body><h1 id="top">Intro</h1><p>Hello &lt;world&gt; &#39;quoted&#39;</p><script>var flibbertigibbet = 1;</script>
            <!-- hidden comment --><h2>Stdio <em>transport</em></h2><p>Run <code>stoa mcp</code>.</p><div>More</div></body></html>
            """
        let doc = ParsedDocument.parse(text, format: .html, fallbackTitle: "f")
        #expect(doc.title == "MCP & agents")
        #expect(doc.sections.map(\.headings) == [["Intro"], ["Intro", "Stdio transport"]])
        #expect(doc.sections[0].text == "Hello <world> 'quoted'")
        let all = doc.sections.map(\.text).joined(separator: " ")
        for hidden in ["Zephyrine", "flibbertigibbet", "hidden comment", "color"] { #expect(!all.contains(hidden), "\(hidden)") }
        #expect(doc.sections[1].text.contains("Run stoa mcp."))
    }

    @Test("chunks follow headings and stay within 400 words; anchors are GitHub slugs")
    func chunking() {
        let paragraph = Array(repeating: "word", count: 120).joined(separator: " ")
        let long = Array(repeating: paragraph, count: 7).joined(separator: "\n\n")  // 840 words
        let huge = Array(repeating: "w", count: 900).joined(separator: " ")        // one 900-word paragraph
        let text = "# Guide\n\nshort intro\n\n## Big Section: Part 1\n\n\(long)\n\n## Huge\n\n\(huge)\n"
        let chunks = Chunker().chunks(ParsedDocument.parse(text, format: .markdown, fallbackTitle: "f"))
        #expect(chunks.allSatisfy { $0.wordCount <= 400 })
        #expect(chunks.first?.text == "short intro")
        let big = chunks.filter { $0.headings.last == "Big Section: Part 1" }
        #expect(big.count == 3)
        #expect(big.map(\.wordCount).reduce(0, +) == 840)
        #expect(big.allSatisfy { $0.anchor == "big-section-part-1" })
        #expect(chunks.filter { $0.headings.last == "Huge" }.map(\.wordCount).reduce(0, +) == 900)
    }
}
