// Allow-list HTML sanitiser (defence in depth: the server's `html` is already escaped
// Markdown). The markup is parsed into an inert document, then only known-safe elements
// and attributes are copied into fresh nodes of this document. Anything else is dropped
// (script/style/iframe with their content) or unwrapped (unknown tags keep their text).

const ALLOWED = new Set(['p', 'br', 'hr', 'em', 'strong', 'b', 'i', 'u', 's', 'del', 'ins', 'mark', 'sub', 'sup', 'small',
  'code', 'pre', 'kbd', 'samp', 'blockquote', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'img',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption',
  'span', 'div', 'details', 'summary', 'input']);
const DROP = new Set(['script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'noscript', 'template',
  'svg', 'math', 'form', 'textarea', 'select', 'button', 'link', 'meta', 'base', 'title', 'audio', 'video', 'source']);
const ATTRS = {
  '*': ['title', 'lang', 'dir'],
  a: ['href'],
  img: ['src', 'alt', 'width', 'height'],
  code: ['class'],
  pre: ['class'],
  span: ['class'],
  ol: ['start'],
  th: ['align', 'colspan', 'rowspan'],
  td: ['align', 'colspan', 'rowspan'],
  input: ['type', 'checked', 'disabled'],
};

// Links: http(s), mailto, same-page anchors and relative paths. Images: http(s) and
// relative only (never data:, javascript:, vbscript:, blob:…).
export function safeUrl(value, { image = false } = {}) {
  const v = String(value).trim();
  // Control characters and whitespace inside a scheme are how "java\tscript:" sneaks by.
  const compact = v.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  if (m) {
    const scheme = m[1].toLowerCase();
    const ok = image ? ['http', 'https'] : ['http', 'https', 'mailto'];
    return ok.includes(scheme) ? v : null;
  }
  if (compact.startsWith('//')) return image ? null : v;
  return v;
}

export function sanitize(html) {
  // A detached document has no browsing context: nothing in it loads or runs, and the
  // page's CSP is not consulted (so hostile handler attributes don't even log violations).
  const doc = document.implementation.createHTMLDocument('');
  doc.body.innerHTML = html;
  const out = document.createDocumentFragment();
  copyChildren(doc.body, out);
  return out;
}

function copyChildren(from, to) {
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.append(document.createTextNode(node.data));
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      const tag = node.localName;
      if (DROP.has(tag)) continue;
      if (!ALLOWED.has(tag)) { copyChildren(node, to); continue; }
      if (tag === 'input' && node.getAttribute('type') !== 'checkbox') continue;
      const el = document.createElement(tag);
      const allowed = [...ATTRS['*'], ...(ATTRS[tag] || [])];
      for (const attr of node.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith('on') || !allowed.includes(name)) continue;
        let value = attr.value;
        if (name === 'href' || name === 'src') {
          value = safeUrl(value, { image: name === 'src' });
          if (value == null) continue;
        }
        if (name === 'class') value = value.split(/\s+/).filter((c) => /^language-[\w+#-]+$/.test(c) || c === 'hljs').join(' ');
        el.setAttribute(name, value);
      }
      if (tag === 'a') {
        const href = el.getAttribute('href');
        if (href && /^(https?:)?\/\//i.test(href)) { el.setAttribute('target', '_blank'); el.setAttribute('rel', 'noopener noreferrer nofollow'); }
      }
      if (tag === 'input') el.setAttribute('disabled', '');
      copyChildren(node, el);
      to.append(el);
    }
    // comments, processing instructions: dropped
  }
}
