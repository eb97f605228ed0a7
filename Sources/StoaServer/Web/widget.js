/*! Stoa documentation assistant widget (issue 23). One file, no dependencies.
 * <script src="https://stoa.example/widget.js" data-stoa="https://stoa.example" defer></script>
 * Options (data- attributes on that tag): data-title, data-accent, data-position="left|right",
 * data-launcher="false", data-theme="light|dark|auto", data-selection="false",
 * data-storage="local|session|memory". CSS variables on the host page: --stoa-accent,
 * --stoa-font. Host API: window.Stoa.open(), .close(), .ask(question); event "stoa:ready".
 * The session token lives in this closure and in storage under "stoa-widget:<stoa origin>";
 * it is never put on window, and the panel is a closed shadow root. */
(() => {
  'use strict';
  if (window.Stoa && window.Stoa.widget) return; // loaded twice
  const script = document.currentScript;
  const ds = (script && script.dataset) || {};
  let BASE = '';
  try { BASE = new URL(ds.stoa || script.src).origin; } catch { return; }
  const OPT = {
    title: (ds.title || 'Ask the docs').slice(0, 80),
    accent: /^#[0-9a-f]{3,8}$|^[a-z]+$|^rgb\([\d\s,.%]+\)$/i.test(ds.accent || '') ? ds.accent : '#4f46e5',
    left: ds.position === 'left',
    launcher: ds.launcher !== 'false',
    theme: ds.theme || 'auto',
    selection: ds.selection !== 'false',
  };
  const KEY = 'stoa-widget:' + BASE;

  // ---- storage (the token and the open conversation) -----------------------------------
  const mem = {};
  const store = ds.storage === 'memory' ? null : ds.storage === 'session' ? safe(() => sessionStorage) : safe(() => localStorage);
  function safe(f) { try { const s = f(); s.getItem('x'); return s; } catch { return null; } }
  function load() { try { return JSON.parse((store ? store.getItem(KEY) : mem.v) || '{}') || {}; } catch { return {}; } }
  function save(v) { const t = JSON.stringify(v); if (store) { try { store.setItem(KEY, t); } catch { mem.v = t; } } else mem.v = t; }
  let state = load();
  let token = typeof state.token === 'string' ? state.token : null;
  const persist = () => save({ token, conv: current });

  // ---- HTTP ------------------------------------------------------------------------------
  class HttpError extends Error { constructor(status, body) { super((body && body.message) || 'HTTP ' + status); this.status = status; this.code = body && body.code; } }
  async function call(path, { method = 'GET', body, stream = false, auth = true } = {}) {
    const headers = { accept: stream ? 'text/event-stream' : 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth && token) headers.authorization = 'Bearer ' + token;
    try { headers['x-timezone'] = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch { /* optional */ }
    let res;
    try {
      res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', mode: 'cors' });
    } catch (e) {
      const err = new HttpError(0, { code: 'NETWORK', message: 'Could not reach the assistant.' });
      throw err;
    }
    if (res.status === 401 && auth && token) { setToken(null); render(); }
    if (!res.ok) { let b = null; try { b = await res.json(); } catch { /* not JSON */ } throw new HttpError(res.status, b); }
    return res;
  }
  const json = async (path, o) => { const r = await call(path, o); return r.status === 204 ? null : r.json(); };
  function setToken(t) { token = t; if (!t) { me = null; current = null; convs = null; messages = []; } persist(); }

  // ---- DOM helpers (no innerHTML of anything but sanitised server HTML) ---------------------
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids.flat()) if (k != null && k !== false) el.append(k.nodeType ? k : String(k));
    return el;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  const ICONS = {
    chat: 'M4 5h16v11H9l-5 4z', close: 'M6 6l12 12M18 6L6 18', plus: 'M12 5v14M5 12h14', list: 'M4 7h16M4 12h16M4 17h16',
    up: 'M7 11v9H4v-9zM7 11l4-8c1.5 0 2.5 1 2 3l-1 4h6c1 0 2 1 1.7 2.2l-1.8 6.6c-.2.7-.9 1.2-1.6 1.2H7',
    down: 'M7 13V4H4v9zM7 13l4 8c1.5 0 2.5-1 2-3l-1-4h6c1 0 2-1 1.7-2.2l-1.8-6.6C17.7 4.5 17 4 16.3 4H7',
    send: 'M4 12l16-8-6 16-2-6z', user: 'M12 12a4 4 0 100-8 4 4 0 000 8zM4 21c0-4 4-6 8-6s8 2 8 6', ask: 'M12 3a7 7 0 00-4 12.7V19h8v-3.3A7 7 0 0012 3zM10 22h4',
  };
  function icon(name, size = 18) {
    const s = document.createElementNS(SVGNS, 'svg');
    for (const [k, v] of Object.entries({ width: size, height: size, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' })) s.setAttribute(k, v);
    const p = document.createElementNS(SVGNS, 'path'); p.setAttribute('d', ICONS[name]); s.append(p);
    return s;
  }
  const btn = (label, name, onclick, cls = 'icon') => h('button', { type: 'button', class: cls, 'aria-label': label, title: label, onclick }, icon(name));

  // Allow-list sanitiser (the server's `html` is already escaped Markdown; this is defence in
  // depth): parse into an inert document, copy only known-safe elements and attributes.
  const OK = new Set('p br hr em strong b i u s del ins mark sub sup small code pre kbd samp blockquote ul ol li dl dt dd a h1 h2 h3 h4 h5 h6 table thead tbody tfoot tr th td caption span div'.split(' '));
  const DROP = new Set('script style iframe frame frameset object embed noscript template svg math form textarea select button link meta base title audio video source img input'.split(' '));
  function safeUrl(v) {
    const c = String(v).trim().replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
    const m = /^([a-z][a-z0-9+.-]*):/i.exec(c);
    if (m) return ['http', 'https', 'mailto'].includes(m[1].toLowerCase()) ? String(v).trim() : null;
    if (c.startsWith('#')) return null; // in-page anchors of the reply mean nothing on the host page
    try { return new URL(c, BASE + '/').href; } catch { return null; }
  }
  function sanitize(html) {
    const doc = document.implementation.createHTMLDocument('');
    doc.body.innerHTML = html;
    const out = document.createDocumentFragment();
    (function copy(from, to) {
      for (const n of from.childNodes) {
        if (n.nodeType === 3) { to.append(n.data); continue; }
        if (n.nodeType !== 1) continue;
        const tag = n.localName;
        if (DROP.has(tag)) continue;
        if (!OK.has(tag)) { copy(n, to); continue; }
        const el = document.createElement(tag);
        for (const name of ['title', 'lang', 'start', 'colspan', 'rowspan']) if (n.hasAttribute(name)) el.setAttribute(name, n.getAttribute(name));
        if (tag === 'a') {
          const href = n.getAttribute('href') && safeUrl(n.getAttribute('href'));
          if (href) { el.setAttribute('href', href); el.setAttribute('target', '_blank'); el.setAttribute('rel', 'noopener noreferrer nofollow'); }
        }
        copy(n, el);
        to.append(el);
      }
    })(doc.body, out);
    return out;
  }

  // ---- state -------------------------------------------------------------------------------
  let me = null, convs = null, messages = [], current = typeof state.conv === 'string' ? state.conv : null;
  let view = 'chat', authMode = 'in', notice = null, busy = false, status = null, quote = null, pending = null, isOpen = false;
  const page = () => /^https?:$/.test(location.protocol) ? { url: location.href.slice(0, 2048), title: (document.title || '').slice(0, 300) } : undefined;
  function uuid() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // ---- shadow DOM --------------------------------------------------------------------------
  const host = document.createElement('stoa-widget');
  const HOST_CSS = 'all:initial!important;display:block!important;position:fixed!important;top:0!important;left:0!important;width:0!important;height:0!important;'
    + 'overflow:visible!important;z-index:2147483647!important;margin:0!important;padding:0!important;border:0!important;background:none!important;inset:0 auto auto 0!important;';
  host.style.cssText = HOST_CSS;
  const root = host.attachShadow({ mode: 'closed' });
  const style = document.createElement('style');
  style.textContent = CSS();
  root.append(style);
  const launcher = h('button', { type: 'button', class: 'launcher', 'aria-label': 'Open ' + OPT.title, 'aria-expanded': 'false', onclick: () => toggle() }, icon('chat', 24));
  const selBtn = h('button', { type: 'button', class: 'selask', hidden: true, onmousedown: (e) => e.preventDefault(), onclick: () => askSelection() }, icon('ask', 14), 'Ask');
  const panel = h('section', { class: 'panel', role: 'dialog', 'aria-label': OPT.title, hidden: true });
  root.append(panel, selBtn);
  if (OPT.launcher) root.append(launcher);

  function mount() {
    document.documentElement.append(host); // last in the document: it wins z-index ties
    // The top layer sits above any z-index the host page uses.
    if (host.showPopover) { try { host.popover = 'manual'; host.style.cssText = HOST_CSS; host.showPopover(); } catch { /* plain fixed box */ } }
  }

  function darkPage() {
    if (OPT.theme === 'dark') return true;
    if (OPT.theme === 'light') return false;
    for (const el of [document.body, document.documentElement]) {
      const m = el && /rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?/.exec(getComputedStyle(el).backgroundColor);
      if (m && (m[4] === undefined || +m[4] > 0.5)) return (0.2126 * m[1] + 0.7152 * m[2] + 0.0722 * m[3]) < 128;
    }
    return matchMedia('(prefers-color-scheme: dark)').matches;
  }

  // ---- rendering -----------------------------------------------------------------------------
  function render() {
    panel.classList.toggle('dark', darkPage());
    launcher.classList.toggle('dark', panel.classList.contains('dark'));
    const head = h('header', null, h('strong', { class: 'title' }, OPT.title),
      token && me ? [btn('Conversations', 'list', () => { view = view === 'list' ? 'chat' : 'list'; if (view === 'list') loadConvs(); render(); }),
        btn('New chat', 'plus', () => { current = null; messages = []; view = 'chat'; quote = null; persist(); render(); focusInput(); }),
        btn('Account', 'user', () => { view = view === 'account' ? 'chat' : 'account'; render(); })] : null,
      btn('Close', 'close', () => close()));
    const body = h('div', { class: 'body' });
    if (status && !status.trusted) body.append(configMessage());
    else if (status && status.error) body.append(h('div', { class: 'note error', role: 'alert' }, status.error));
    else if (!token) body.append(authView());
    else if (!me) body.append(h('p', { class: 'muted' }, 'Loading\u2026'));
    else if (view === 'list') body.append(listView());
    else if (view === 'account') body.append(accountView());
    else body.append(chatView());
    panel.replaceChildren(head, body);
    if (token && me && view === 'chat' && !(status && (!status.trusted || status.error))) panel.append(composer());
  }

  function configMessage() {
    const origin = (status && status.origin) || location.origin;
    return h('div', { class: 'note error config', role: 'alert' },
      h('strong', null, 'This site is not allowed to use the assistant yet.'),
      h('p', null, 'The Stoa server at ', h('code', null, BASE), ' does not trust this page\u2019s origin, ', h('code', null, origin), '.'),
      h('p', null, 'Site operator: add ', h('code', null, origin), ' to ', h('code', null, 'BETTER_AUTH_TRUSTED_ORIGINS'), ' on the Stoa server and restart it.'));
  }

  function field(label, name, type, auto) {
    return h('label', null, h('span', null, label), h('input', { name, type, autocomplete: auto, required: true, maxlength: type === 'password' ? 128 : 254 }));
  }
  function authView() {
    const modes = { in: 'Sign in', up: 'Create account', forgot: 'Reset password' };
    const form = h('form', { class: 'auth', novalidate: true, onsubmit: (e) => { e.preventDefault(); submitAuth(form); } },
      h('p', { class: 'lead' }, authMode === 'forgot' ? 'We\u2019ll email you a link to choose a new password.' : 'Sign in to ask questions about these docs.'),
      authMode === 'up' ? field('Name', 'name', 'text', 'name') : null,
      field('Email', 'email', 'email', 'email'),
      authMode !== 'forgot' ? field('Password', 'password', 'password', authMode === 'up' ? 'new-password' : 'current-password') : null,
      notice ? h('div', { class: 'note ' + notice.kind, role: notice.kind === 'error' ? 'alert' : 'status' }, notice.text) : null,
      h('button', { type: 'submit', class: 'primary', disabled: busy }, busy ? 'Please wait\u2026' : modes[authMode]),
      h('div', { class: 'links' },
        authMode !== 'in' ? h('button', { type: 'button', class: 'link', 'data-mode': 'in', onclick: () => mode('in') }, 'Sign in') : null,
        authMode !== 'up' ? h('button', { type: 'button', class: 'link', 'data-mode': 'up', onclick: () => mode('up') }, 'Create an account') : null,
        authMode !== 'forgot' ? h('button', { type: 'button', class: 'link', 'data-mode': 'forgot', onclick: () => mode('forgot') }, 'Forgot password?') : null));
    return form;
  }
  function mode(m) { authMode = m; notice = null; render(); const i = panel.querySelector('input'); if (i) i.focus(); }

  async function submitAuth(form) {
    const v = Object.fromEntries(new FormData(form));
    if (!v.email || (authMode !== 'forgot' && !v.password) || (authMode === 'up' && !v.name)) { notice = { kind: 'error', text: 'Please fill in every field.' }; return render(); }
    busy = true; notice = null; render();
    try {
      if (authMode === 'forgot') {
        await json('/api/auth/request-password-reset', { method: 'POST', auth: false, body: { email: v.email, redirectTo: BASE + '/reset-password' } });
        notice = { kind: 'ok', text: 'If that address has an account, a reset link is on its way.' };
        authMode = 'in';
      } else {
        const path = authMode === 'up' ? '/api/auth/sign-up/email' : '/api/auth/sign-in/email';
        const body = authMode === 'up' ? { name: v.name, email: v.email, password: v.password } : { email: v.email, password: v.password };
        const res = await call(path, { method: 'POST', auth: false, body });
        const data = await res.json();
        const t = res.headers.get('set-auth-token') || data.token;
        if (!t) { notice = { kind: 'ok', text: 'Check your email to confirm your address, then sign in.' }; authMode = 'in'; }
        else { setToken(t); await start(); }
      }
    } catch (e) {
      notice = { kind: 'error', text: e.status === 0 ? 'Could not reach the assistant.' : e.message };
    }
    busy = false; render();
    if (token && me) { if (pending) { const p = pending; pending = null; send(p.text, p.selection); } else focusInput(); }
  }

  function accountView() {
    return h('div', { class: 'account' }, h('p', null, 'Signed in as ', h('strong', null, me.name || me.email)), h('p', { class: 'muted' }, me.email),
      h('button', { type: 'button', class: 'primary', 'data-action': 'sign-out', onclick: signOut }, 'Sign out'),
      h('p', { class: 'muted' }, h('a', { href: BASE + '/', target: '_blank', rel: 'noopener' }, 'Open the full app')));
  }
  async function signOut() {
    try { await call('/api/auth/sign-out', { method: 'POST', body: {} }); } catch { /* revoked or unreachable: forget it anyway */ }
    setToken(null); view = 'chat'; authMode = 'in'; notice = { kind: 'ok', text: 'You are signed out.' }; render();
  }

  function listView() {
    if (!convs) return h('p', { class: 'muted' }, 'Loading\u2026');
    if (!convs.length) return h('p', { class: 'muted' }, 'No conversations yet.');
    return h('ul', { class: 'convs', 'aria-label': 'Your conversations' }, convs.map((c) => h('li', null,
      h('button', { type: 'button', class: 'conv' + (c.id === current ? ' on' : ''), 'data-id': c.id, onclick: () => openConv(c.id) },
        h('span', { class: 'ct' }, c.title || (c.lastMessage && c.lastMessage.preview) || 'Untitled'),
        h('span', { class: 'muted' }, new Date(c.updatedAt).toLocaleString())))));
  }
  async function loadConvs() {
    try { convs = (await json('/api/conversations?limit=30')).items; } catch (e) { convs = []; flash(e); }
    if (view === 'list') render();
  }
  async function openConv(id) {
    current = id; view = 'chat'; messages = []; persist(); render();
    try { messages = (await json(`/api/conversations/${encodeURIComponent(id)}/messages?limit=50`)).items.reverse(); }
    catch (e) { if (e.status === 404) { current = null; persist(); } else flash(e); }
    render(); scrollDown();
  }

  function chatView() {
    const list = h('div', { class: 'msgs', 'aria-live': 'polite' });
    if (!messages.length) list.append(h('p', { class: 'muted empty' }, 'Ask anything about this documentation. Select text on the page to ask about it.'));
    for (const m of messages) list.append(renderMessage(m));
    return list;
  }

  function renderMessage(m) {
    const user = m.role === 'user';
    const el = h('article', { class: 'msg ' + (user ? 'user' : 'bot'), 'data-id': m.id || null });
    const md = h('div', { class: 'md' });
    if (m.html != null) md.append(sanitize(m.html)); else md.append(h('p', { class: 'plain' }, m.content || ''));
    const sources = !user && Array.isArray(m.sources) ? m.sources : [];
    if (sources.length) cite(md, sources);
    el.append(md);
    if (sources.length) {
      el.append(h('ol', { class: 'sources', 'aria-label': 'Sources' }, sources.map((s, i) => {
        const url = s.source && /^https?:\/\//i.test(s.source) ? safeUrl(s.source) : null;
        const name = s.title || s.source || 'Document';
        return h('li', null, h('span', { class: 'n' }, String(i + 1)), url ? link(url, name, 'src') : h('span', null, name));
      })));
    }
    if (m.truncated) el.append(h('p', { class: 'muted' }, 'This reply was cut short.'));
    if (!user && m.id && !m.pending) {
      const rate = async (rating, b) => {
        try {
          await json('/api/feedback', { method: 'POST', body: { message_id: m.id, rating } });
          m.rating = rating;
          for (const x of el.querySelectorAll('.fb button')) x.setAttribute('aria-pressed', String(x === b));
        } catch (e) { flash(e); }
      };
      const up = btn('Helpful', 'up', () => rate('up', up)), down = btn('Not helpful', 'down', () => rate('down', down));
      up.dataset.rating = 'up'; down.dataset.rating = 'down';
      up.setAttribute('aria-pressed', String(m.rating === 'up')); down.setAttribute('aria-pressed', String(m.rating === 'down'));
      el.append(h('div', { class: 'fb' }, up, down));
    }
    return el;
  }
  function link(url, text, cls) {
    // Pages of the host site open in place (the panel reopens there); others in a new tab.
    const same = url.startsWith(location.origin + '/');
    return h('a', { href: url, class: cls, target: same ? null : '_blank', rel: same ? null : 'noopener noreferrer', onclick: same ? () => { try { sessionStorage.setItem(KEY + ':open', '1'); } catch { /* private mode */ } } : null }, text);
  }
  // "[2]" in the reply (outside code and links) becomes a link to the second source's page.
  function cite(root, sources) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) if (/\[\d+\]/.test(walker.currentNode.data) && !walker.currentNode.parentElement.closest('code,pre,a')) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const frag = document.createDocumentFragment();
      for (const part of node.data.split(/(\[\d+\])/)) {
        const n = /^\[(\d+)\]$/.test(part) && Number(part.slice(1, -1));
        const s = n && sources[n - 1];
        const url = s && s.source && /^https?:\/\//i.test(s.source) ? safeUrl(s.source) : null;
        if (url) { const a = link(url, String(n), 'cite'); a.setAttribute('aria-label', `Source ${n}: ${s.title || ''}`); frag.append(h('sup', null, a)); }
        else if (part) frag.append(part);
      }
      node.replaceWith(frag);
    }
  }

  function composer() {
    const input = h('textarea', { class: 'input', rows: 1, maxlength: 4000, placeholder: quote ? 'Ask about the selection\u2026' : 'Ask a question\u2026', 'aria-label': 'Your question',
      onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(input.value); } } });
    return h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); send(input.value); } },
      quote ? h('div', { class: 'quote' }, h('span', null, quote.length > 200 ? quote.slice(0, 200) + '\u2026' : quote),
        btn('Remove the quote', 'close', () => { quote = null; render(); focusInput(); })) : null,
      h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'send', 'aria-label': 'Send', disabled: busy }, icon('send'))));
  }
  const focusInput = () => { const i = panel.querySelector('.input'); if (i) i.focus(); };
  const scrollDown = () => { const b = panel.querySelector('.body'); if (b) b.scrollTop = b.scrollHeight; };
  function flash(e) {
    const note = h('div', { class: 'note error', role: 'alert' }, e.status === 0 ? 'Could not reach the assistant.' : e.message || String(e));
    const b = panel.querySelector('.body'); if (b) { b.append(note); scrollDown(); setTimeout(() => note.remove(), 6000); }
  }

  async function send(text, selection = quote) {
    text = String(text || '').trim();
    if (!text && selection) text = 'Explain this passage.';
    if (!text || busy) return;
    if (!token || !me) { pending = { text, selection }; return open(); }
    busy = true; quote = null;
    if (!current) { current = uuid(); persist(); }
    const mine = { role: 'user', content: selection ? `\u201c${selection.slice(0, 300)}\u201d\n\n${text}` : text, pending: true };
    const reply = { role: 'assistant', content: '', pending: true };
    messages.push(mine, reply); view = 'chat'; render(); scrollDown();
    const bubble = panel.querySelectorAll('.msg.bot');
    const live = bubble[bubble.length - 1].querySelector('.md');
    live.replaceChildren(h('p', { class: 'plain typing' }, '\u2026'));
    const body = selection ? { selection, question: text, session_id: current, page: page() } : { query: text, session_id: current, page: page() };
    try {
      const res = await call(selection ? '/api/ask-selection' : '/api/chat', { method: 'POST', body, stream: true });
      for await (const { event, data } of events(res)) {
        if (event === 'message') Object.assign(mine, data, { pending: false });
        else if (event === 'delta') { reply.content += data.text || ''; live.replaceChildren(h('p', { class: 'plain' }, reply.content)); scrollDown(); }
        else if (event === 'sources') reply.sources = data.items;
        else if (event === 'done') Object.assign(reply, data, { pending: false });
        else if (event === 'error') throw new HttpError(502, data);
      }
    } catch (e) {
      reply.pending = false;
      if (!reply.id) { messages.splice(messages.indexOf(reply), 1); }
      if (e.status === 404) { current = null; persist(); }
      busy = false; render(); flash(e); return;
    }
    busy = false; convs = null; render(); scrollDown(); focusInput();
  }
  // Server-sent events from a fetch body: yields {event, data} with data parsed as JSON.
  async function* events(res) {
    const reader = res.body.getReader(), dec = new TextDecoder();
    let buf = '', ev = 'message', data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        let line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (!line) { if (data.length) { let d; try { d = JSON.parse(data.join('\n')); } catch { d = {}; } yield { event: ev, data: d }; } ev = 'message'; data = []; }
        else if (line.startsWith('event:')) ev = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }

  // ---- open / close / start ---------------------------------------------------------------
  let started = null;
  function start() {
    started = (async () => {
      if (!status || status.error) {
        try { status = await (await fetch(BASE + '/widget/status', { credentials: 'omit' })).json(); }
        catch { status = { trusted: true, error: `Could not reach the assistant at ${BASE}. If this persists, the site operator should check that Stoa is running and that this page\u2019s Content-Security-Policy allows connecting to it.` }; }
      }
      if (!status.trusted || status.error || !token) return;
      try { me = await json('/api/me'); } catch (e) { if (e.status !== 401) status = { trusted: true, error: e.status === 0 ? `Could not reach the assistant at ${BASE}.` : e.message }; }
      if (me && current && !messages.length) {
        try { messages = (await json(`/api/conversations/${encodeURIComponent(current)}/messages?limit=50`)).items.reverse(); }
        catch { current = null; persist(); }
      }
    })();
    return started;
  }
  async function open() {
    if (!host.isConnected) mount();
    isOpen = true; panel.hidden = false; launcher.setAttribute('aria-expanded', 'true'); launcher.hidden = true; fit();
    try { sessionStorage.setItem(KEY + ':open', '1'); } catch { /* private mode */ }
    render();
    if (!started || (token && !me) || status && status.error) { await start(); render(); }
    scrollDown();
    if (pending && token && me) { const p = pending; pending = null; await send(p.text, p.selection); }
    else if (token && me) focusInput(); else { const i = panel.querySelector('input'); if (i) i.focus(); }
  }
  function close() {
    isOpen = false; panel.hidden = true; launcher.hidden = false; launcher.setAttribute('aria-expanded', 'false');
    try { sessionStorage.removeItem(KEY + ':open'); } catch { /* private mode */ }
    if (OPT.launcher) launcher.focus();
  }
  const toggle = () => (isOpen ? close() : open());

  // Small screens: the panel covers what the reader sees. A page wider than the screen grows
  // the layout viewport that fixed boxes use, so follow the visual viewport instead.
  const small = matchMedia('(max-width: 480px)');
  function fit() {
    const vv = window.visualViewport;
    if (!isOpen || !vv || !small.matches) { panel.style.cssText = ''; return; }
    panel.style.cssText = `top:${vv.offsetTop}px;left:${vv.offsetLeft}px;width:${vv.width}px;height:${vv.height}px`;
  }
  if (window.visualViewport) { visualViewport.addEventListener('resize', fit); visualViewport.addEventListener('scroll', fit); }
  small.addEventListener('change', fit);

  // ---- ask about a selection ---------------------------------------------------------------
  let selText = '';
  function onSelection() {
    const sel = document.getSelection();
    const text = sel && !sel.isCollapsed ? sel.toString().trim() : '';
    if (!text || text.length < 3 || sel.rangeCount === 0 || host.contains(sel.anchorNode) || sel.anchorNode === host) { selBtn.hidden = true; selText = ''; return; }
    const rect = sel.getRangeAt(sel.rangeCount - 1).getBoundingClientRect();
    if (!rect.width && !rect.height) { selBtn.hidden = true; return; }
    selText = text.slice(0, 8000);
    selBtn.hidden = false;
    selBtn.style.top = Math.max(4, Math.min(innerHeight - 36, rect.bottom + 6)) + 'px';
    selBtn.style.left = Math.max(4, Math.min(innerWidth - 72, rect.right - 30)) + 'px';
  }
  function askSelection() {
    const text = selText;
    selBtn.hidden = true;
    if (!text) return;
    quote = text;
    if (token && me) { open().then(() => send('', text)); } else { pending = { text: 'Explain this passage.', selection: text }; open(); }
  }
  if (OPT.selection) {
    let t = 0;
    document.addEventListener('selectionchange', () => { clearTimeout(t); t = setTimeout(onSelection, 120); });
    addEventListener('scroll', () => { selBtn.hidden = true; }, { passive: true });
  }
  addEventListener('keydown', (e) => { if (e.key === 'Escape' && isOpen) close(); });

  // ---- the host page's API -----------------------------------------------------------------
  const api = Object.freeze({
    widget: true,
    open: () => { open(); },
    close: () => { close(); },
    ask: (question) => { const q = String(question == null ? '' : question).slice(0, 4000).trim(); if (!q) return open(); pending = { text: q, selection: null }; open(); },
  });
  try { Object.defineProperty(window, 'Stoa', { value: api, configurable: false, writable: false, enumerable: false }); } catch { /* already defined */ }

  function ready() {
    mount(); render();
    let reopen = false; try { reopen = sessionStorage.getItem(KEY + ':open') === '1'; } catch { /* private mode */ }
    if (reopen) open();
    window.dispatchEvent(new CustomEvent('stoa:ready'));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready); else ready();

  function CSS() {
    const a = `var(--stoa-accent, ${OPT.accent})`, side = OPT.left ? 'left' : 'right';
    return `
:host{all:initial!important}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button,input,textarea{font:inherit;color:inherit}
.launcher,.panel,.selask{font:14px/1.45 var(--stoa-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);letter-spacing:normal;text-transform:none;text-align:left}
.launcher{position:fixed;bottom:20px;${side}:20px;width:56px;height:56px;border-radius:50%;border:0;background:${a};color:#fff;display:flex;align-items:center;justify-content:center;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25)}
.launcher:focus-visible,button:focus-visible,a:focus-visible,input:focus-visible,textarea:focus-visible{outline:2px solid ${a};outline-offset:2px}
.panel{--bg:#fff;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--soft:#f3f4f6;position:fixed;bottom:20px;${side}:20px;width:400px;max-width:calc(100vw - 24px);height:min(640px,calc(100vh - 40px));display:flex;flex-direction:column;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.28);overflow:hidden}
.panel.dark{--bg:#111827;--fg:#f3f4f6;--muted:#9ca3af;--line:#374151;--soft:#1f2937}
@media (max-width:480px){.panel{inset:0;width:100vw;max-width:none;height:100vh;border-radius:0;border:0}}
header{display:flex;align-items:center;gap:4px;padding:10px 10px 10px 16px;border-bottom:1px solid var(--line);background:${a};color:#fff}
.title{flex:1;font-size:15px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.icon{background:none;border:0;color:inherit;width:32px;height:32px;border-radius:8px;display:inline-flex;align-items:center;justify-content:center;cursor:pointer;padding:0}
.icon:hover{background:rgba(127,127,127,.2)}
.body{flex:1;overflow-y:auto;padding:14px 16px}
.muted{color:var(--muted);font-size:13px}
.empty{text-align:center;margin-top:40px}
p{margin:0 0 8px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;background:var(--soft);padding:1px 4px;border-radius:4px}
pre{background:var(--soft);padding:8px;border-radius:8px;overflow-x:auto}pre code{padding:0;background:none}
a{color:${a}}.dark a{color:#a5b4fc}
.msg{margin:0 0 14px}
.msg.user .md{background:${a};color:#fff;margin-left:40px;padding:8px 12px;border-radius:12px 12px 2px 12px;white-space:pre-wrap}
.msg.user .md p{margin:0}
.msg.bot .md{background:var(--soft);padding:10px 12px;border-radius:12px 12px 12px 2px;overflow-wrap:anywhere}
.msg.bot .md :last-child{margin-bottom:0}
.md ol,.md ul{padding-left:20px;margin:0 0 8px}
.md blockquote{margin:0 0 8px;padding-left:10px;border-left:3px solid var(--line);color:var(--muted)}
.plain{white-space:pre-wrap}.typing{color:var(--muted)}
sup a.cite{font-size:11px;text-decoration:none;background:${a};color:#fff;border-radius:8px;padding:0 5px;margin:0 1px}
.sources{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-direction:column;gap:4px;font-size:13px}
.sources li{display:flex;gap:6px;align-items:baseline}
.sources .n{flex:none;font-size:11px;min-width:18px;text-align:center;border-radius:8px;background:var(--line)}
.fb{display:flex;gap:2px;margin-top:4px;color:var(--muted)}
.fb .icon{width:28px;height:28px}.fb [aria-pressed=true]{color:${a};background:var(--soft)}
.composer{border-top:1px solid var(--line);padding:10px 12px;background:var(--bg)}
.row{display:flex;gap:8px;align-items:flex-end}
.input{flex:1;resize:none;min-height:40px;max-height:120px;padding:9px 12px;border:1px solid var(--line);border-radius:10px;background:var(--bg);color:var(--fg);outline:none}
.send{width:40px;height:40px;border:0;border-radius:10px;background:${a};color:#fff;display:flex;align-items:center;justify-content:center;cursor:pointer}
.send:disabled,.primary:disabled{opacity:.6;cursor:default}
.quote{display:flex;gap:6px;align-items:flex-start;margin-bottom:8px;padding:6px 8px;border-left:3px solid ${a};background:var(--soft);border-radius:6px;font-size:13px;color:var(--muted)}
.quote span{flex:1}.quote .icon{width:22px;height:22px}
.auth,.account{display:flex;flex-direction:column;gap:12px}
.lead{color:var(--muted)}
label{display:flex;flex-direction:column;gap:4px;font-size:13px;font-weight:500}
label input{padding:9px 12px;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg);font-size:15px}
.primary{padding:10px 14px;border:0;border-radius:8px;background:${a};color:#fff;font-weight:600;cursor:pointer;text-align:center}
.links{display:flex;flex-wrap:wrap;gap:14px;justify-content:center}
.link{background:none;border:0;padding:0;color:${a};cursor:pointer;text-decoration:underline;font-size:13px}.dark .link{color:#a5b4fc}
.note{padding:8px 10px;border-radius:8px;font-size:13px;margin:6px 0}
.note.error{background:#fef2f2;color:#991b1b;border:1px solid #fecaca}.note.ok{background:#ecfdf5;color:#065f46;border:1px solid #a7f3d0}
.config code{background:rgba(0,0,0,.06);overflow-wrap:anywhere}
.convs{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
.conv{width:100%;display:flex;flex-direction:column;gap:2px;text-align:left;padding:8px 10px;border:1px solid var(--line);border-radius:8px;background:var(--bg);cursor:pointer}
.conv.on{border-color:${a}}.ct{font-weight:500;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.selask{position:fixed;display:flex;align-items:center;gap:4px;padding:5px 10px;border:0;border-radius:16px;background:${a};color:#fff;font-size:13px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3)}
@media (prefers-reduced-motion:no-preference){.panel{animation:in .16s ease-out}@keyframes in{from{opacity:0;transform:translateY(8px)}}}
`;
  }
})();
