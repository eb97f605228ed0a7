"""Support for the widget tests: a generated documentation site (Markdown for `stoa docs
ingest`, HTML for the browser) served from another origin, and a driver for the widget's
*closed* shadow root through the DevTools protocol (page scripts cannot reach it, and neither
can WebDriver's `shadow_root`; DevTools can)."""

from __future__ import annotations

import functools
import html
import json
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

# (slug, title, paragraphs): each page has words no other page uses, so a question picks one.
PAGES: list[tuple[str, str, list[str]]] = [
    ("getting-started", "Getting started", ["Welcome to the Lumen handbook. Install the lumen binary and run lumen init in an empty folder.",
                                            "The init command creates a lumen.toml file next to your notes."]),
    ("backups", "Backups and snapshots", ["Snapshots are written by the archiver every night at two o'clock; each snapshot is a compressed tarball.",
                                          "Restore a snapshot with the rewind command: lumen rewind --to yesterday brings back the whole vault."]),
    ("themes", "Themes", ["Pick a palette with lumen theme set; the solarized palette suits long evenings.",
                          "Custom palettes live in the palettes folder as small TOML files."]),
    ("sync", "Syncing devices", ["The relay pairs laptops and phones; scan the pairing QR code shown by lumen relay pair.",
                                 "Conflicts keep both versions and mark the newer one with a tilde."]),
    ("plugins", "Plugins", ["Plugins are WebAssembly modules loaded from the plugins directory at start.",
                            "A plugin declares its capabilities in a manifest; undeclared capabilities are refused."]),
    ("search", "Searching notes", ["Type a slash to open the finder; quotes search an exact phrase and a minus excludes a word.",
                                   "The finder ranks recently edited notes higher."]),
    ("shortcuts", "Keyboard shortcuts", ["Press control K for the command palette and control shift P to pin a note.",
                                         "Every shortcut can be remapped in keymap.toml."]),
    ("export", "Exporting", ["Export a vault to PDF or EPUB with lumen export; footnotes become endnotes in EPUB.",
                             "Images are embedded at their original resolution."]),
    ("privacy", "Privacy", ["Telemetry is off by default; lumen never uploads note contents.",
                            "Crash reports are opt-in and strip file names."]),
    ("tags", "Tags", ["Tags start with a hash sign; nested tags use a slash like project/garden.",
                      "The tag pane counts notes per tag."]),
    ("templates", "Templates", ["Templates are notes in the templates folder with placeholders in double braces.",
                                "The date placeholder expands to today's date in your locale."]),
    ("troubleshooting", "Troubleshooting", ["If the vault is locked, delete the stale lockfile after closing every lumen window.",
                                            "Run lumen doctor to check permissions and disk space."]),
]

LIGHT_CSS = """body{font:16px/1.6 Georgia,serif;max-width:720px;margin:40px auto;padding:0 16px;color:#222;background:#fff}
nav a{margin-right:10px}#ask-ai{margin:10px 0}"""

# What the issue asks the panel to survive: everything unset, huge fonts, z-index wars.
HOSTILE_CSS = """* { all: unset !important; }
html, body, p, h1, nav, div { display: block !important; }
html { font-size: 44px !important; }
body { font-family: Impact, fantasy !important; line-height: 3 !important; color: #b00 !important; background: #fffbe6 !important; margin: 0 !important; }
body.dark { background: #0b0f19 !important; color: #e5e7eb !important; }
h1 { font-size: 90px !important; text-transform: uppercase !important; letter-spacing: 12px !important; }
p { margin: 30px !important; }
button, input, textarea, a, span { font-size: 70px !important; color: #f0f !important; background: #ff0 !important; border: 9px solid #0f0 !important; }
div, section, aside, header, footer, nav { position: relative !important; z-index: 2147483647 !important; }
.war { position: fixed !important; right: 0 !important; bottom: 0 !important; width: 70vw !important; height: 70vh !important;
       z-index: 2147483647 !important; background: rgba(255, 0, 0, 0.35) !important; }
"""


def page_html(stoa: str, title: str, paragraphs: list[str], *, css: str = "/site.css", body_class: str = "", war: bool = False) -> str:
    nav = " ".join(f'<a href="/{slug}/">{html.escape(t)}</a>' for slug, t, _ in PAGES)
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · Lumen handbook</title>
<link rel="stylesheet" href="{css}">
<script>addEventListener('stoa:ready', () => {{ window.__stoaReadyAt = performance.now(); }});</script>
<script src="{stoa}/widget.js" data-stoa="{stoa}" data-title="Lumen assistant" defer></script>
</head><body class="{body_class}">
<nav>{nav}</nav>
<h1>{html.escape(title)}</h1>
{paras}
<button id="ask-ai" type="button" onclick="Stoa.ask('How do I restore a snapshot?')">Ask AI</button>
{'<div class="war">z-index 2147483647 overlay</div>' if war else ''}
</body></html>
"""


def write_site(root: Path, stoa: str) -> tuple[Path, Path]:
    """Markdown under root/md (to ingest) and HTML under root/site (to serve); returns both."""
    md, site = root / "md", root / "site"
    md.mkdir(parents=True)
    site.mkdir(parents=True)
    (site / "site.css").write_text(LIGHT_CSS)
    (site / "hostile.css").write_text(HOSTILE_CSS)
    for slug, title, paragraphs in PAGES:
        (md / f"{slug}.md").write_text(f"---\ntitle: {title}\n---\n# {title}\n\n" + "\n\n".join(paragraphs) + "\n")
        (site / slug).mkdir()
        (site / slug / "index.html").write_text(page_html(stoa, title, paragraphs))
    home_paras = ["The Lumen handbook explains every part of Lumen, the note keeper. Pick a page above."]
    (site / "index.html").write_text(page_html(stoa, "Lumen handbook", home_paras))
    for name, cls in (("hostile", ""), ("hostile-dark", "dark")):
        (site / name).mkdir()
        (site / name / "index.html").write_text(
            page_html(stoa, "Hostile page", PAGES[1][2], css="/hostile.css", body_class=cls, war=True))
    return md, site


class StaticSite:
    """`python -m http.server` in a thread, on a loopback port (another origin than Stoa)."""

    def __init__(self, directory: Path, port: int):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test output stays readable
        pass


class Widget:
    """The widget's closed shadow root, reached through DevTools: `js(body, *args)` runs
    `body` as a function with `this` = the shadow root and returns its JSON value."""

    def __init__(self, driver: WebDriver):
        self.driver = driver
        self.object_id: str | None = None

    def attach(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            doc = self.driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1, "pierce": True})
            node = _find(doc["root"], "STOA-WIDGET")
            if node and node.get("shadowRoots"):
                shadow = node["shadowRoots"][0]
                assert shadow.get("shadowRootType") == "closed", shadow.get("shadowRootType")
                self.object_id = self.driver.execute_cdp_cmd("DOM.resolveNode", {"backendNodeId": shadow["backendNodeId"]})["object"]["objectId"]
                return
            time.sleep(0.05)
        raise AssertionError("the widget's <stoa-widget> host with a shadow root never appeared")

    def js(self, body: str, *args):
        if self.object_id is None:
            self.attach()
        result = self.driver.execute_cdp_cmd("Runtime.callFunctionOn", {
            "objectId": self.object_id,
            "functionDeclaration": f"function(...args) {{ {body} }}",
            "arguments": [{"value": a} for a in args],
            "returnByValue": True,
            "awaitPromise": True,
        })
        if "exceptionDetails" in result:
            raise AssertionError(f"in the widget: {json.dumps(result['exceptionDetails'])[:800]}")
        return result["result"].get("value")

    def wait(self, body: str, *args, timeout: float = 15.0, message: str = ""):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.js(body, *args)
            if last:
                return last
            time.sleep(0.05)
        raise AssertionError(f"timed out: {message or body} (last {last!r}); panel text: {self.text('.panel')[:600]!r}")

    def text(self, selector: str) -> str:
        return self.js("const e = this.querySelector(args[0]); return e ? e.innerText : ''", selector) or ""

    def click(self, selector: str) -> None:
        ok = self.js("const e = this.querySelector(args[0]); if (!e) return false; e.click(); return true", selector)
        assert ok, f"nothing matches {selector!r} in the widget; panel: {self.text('.panel')[:400]!r}"

    def fill(self, selector: str, value: str) -> None:
        ok = self.js("const e = this.querySelector(args[0]); if (!e) return false; e.focus(); e.value = args[1];"
                     " e.dispatchEvent(new Event('input', {bubbles: true})); return true", selector, value)
        assert ok, f"no field {selector!r} in the widget"

    def visible(self, selector: str) -> bool:
        return bool(self.js("const e = this.querySelector(args[0]); if (!e || e.hidden) return false;"
                            " const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0", selector))

    def rect(self, selector: str) -> dict:
        return self.js("const r = this.querySelector(args[0]).getBoundingClientRect();"
                       " return {x: r.x, y: r.y, width: r.width, height: r.height}", selector)

    def style(self, selector: str, prop: str) -> str:
        return self.js("return getComputedStyle(this.querySelector(args[0])).getPropertyValue(args[1])", selector, prop)


def _find(node: dict, name: str) -> dict | None:
    if node.get("nodeName") == name:
        return node
    for child in node.get("children", []):
        found = _find(child, name)
        if found:
            return found
    return None
