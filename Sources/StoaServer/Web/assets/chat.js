// One conversation: message history, the composer and streamed replies (SSE over a
// fetch POST, parsed by sse.js). While a reply streams its text is shown escaped; the
// `done` message then brings the server's Markdown HTML, passed through sanitize.js.

import { get, post, request, ApiError, describe, isRetryable } from './api.js';
import { h, icon, toast } from './ui.js';
import { saveDraft, loadDraft, clearDraft, session } from './session.js';

// Message rendering and the stream parser load in parallel but do not hold up the first
// paint of the shell; everything that needs them awaits `ready` first.
let M = null;
let S = null;
const ready = Promise.all([import('./message.js'), import('./sse.js')]).then(([m, s]) => { M = m; S = s; });

const SUGGESTIONS = ['Add a task to buy milk', 'What’s on my list?', 'Add a task to call mom tomorrow at 6pm', 'Mark 1 done'];

export function createChat({ navigate, onConversation, onTasksChanged, openSidebar, toggleTasks }) {
  let convId = null;
  let conv = null;
  let olderCursor = null;
  let stream = null; // {controller, convId} while a reply is streaming
  let loadSeq = 0;

  const title = h('h1', { class: 'chat-title' }, 'New chat');
  const header = h('header', { class: 'chat-head' },
    h('button', { type: 'button', class: 'icon-btn only-narrow', 'aria-label': 'Open conversations', onclick: openSidebar }, icon('menu')),
    title,
    h('a', { href: '/', class: 'icon-btn only-narrow', 'aria-label': 'New chat', title: 'New chat' }, icon('plus')),
    h('button', { type: 'button', class: 'icon-btn tasks-toggle', 'aria-label': 'Show or hide tasks', title: 'Tasks', onclick: toggleTasks }, icon('tasks')));
  const column = h('div', { class: 'thread' });
  const scroller = h('div', { class: 'messages', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '-1' }, column);
  const alertBox = h('div', { class: 'composer-alert', role: 'alert', hidden: true });
  const textarea = h('textarea', {
    class: 'composer-input', rows: 1, placeholder: 'Message Stoa', 'aria-label': 'Message', maxlength: 32000,
    'aria-describedby': 'composer-hint', enterkeyhint: 'send',
  });
  const sendBtn = h('button', { type: 'submit', class: 'send-btn', 'aria-label': 'Send message', title: 'Send (Enter)' }, icon('send', 18));
  const stopBtn = h('button', { type: 'button', class: 'send-btn stop-btn', 'aria-label': 'Stop reply', title: 'Stop (Esc)', hidden: true, onclick: () => stop() }, icon('stop', 16));
  const form = h('form', { class: 'composer', 'aria-label': 'Send a message' }, textarea, sendBtn, stopBtn);
  const hint = h('p', { class: 'composer-hint', id: 'composer-hint' }, 'Enter to send · Shift+Enter for a new line · Esc stops a reply');
  const el = h('main', { class: 'chat', id: 'main' }, header, scroller, h('div', { class: 'composer-wrap' }, alertBox, form, hint));

  // --- composer ------------------------------------------------------------------------
  const grow = () => { textarea.style.height = 'auto'; textarea.style.height = Math.min(textarea.scrollHeight, 240) + 'px'; };
  textarea.addEventListener('input', () => { grow(); saveDraft(convId, textarea.value); updateSend(); });
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  const updateSend = () => { sendBtn.disabled = !textarea.value.trim(); };

  function setStreaming(on) {
    sendBtn.hidden = on;
    stopBtn.hidden = !on;
    el.classList.toggle('streaming', on);
  }

  function showAlert(message, retry) {
    alertBox.replaceChildren(icon('alert', 16), h('span', null, message));
    if (retry) alertBox.append(h('button', { type: 'button', class: 'btn btn-small', onclick: () => { hideAlert(); retry(); } }, icon('refresh', 14), 'Retry'));
    alertBox.append(h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Dismiss', onclick: hideAlert }, icon('x', 14)));
    alertBox.hidden = false;
  }
  function hideAlert() { alertBox.hidden = true; alertBox.replaceChildren(); }

  function submit() {
    const text = textarea.value;
    if (!text.trim() || stream) return;
    send(text);
  }

  // --- history -------------------------------------------------------------------------
  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  const toBottom = () => { scroller.scrollTop = scroller.scrollHeight; };

  function emptyState() {
    const name = session.user && session.user.name ? session.user.name.split(' ')[0] : '';
    return h('div', { class: 'empty-chat' },
      h('img', { src: '/assets/favicon.svg', alt: '', width: 48, height: 48, class: 'empty-logo' }),
      h('h2', null, name ? `What’s next, ${name}?` : 'What’s next?'),
      h('p', { class: 'muted' }, 'Ask Stoa to keep track of your tasks, or ask about your documents.'),
      h('div', { class: 'suggestions' }, SUGGESTIONS.map((s) => h('button', { type: 'button', class: 'chip', onclick: () => { textarea.value = s; grow(); updateSend(); send(s); } }, s))));
  }

  async function open(id) {
    if (id && id === convId) return; // e.g. the URL caught up with a chat created here
    if (stream) stop();
    persistDraft();
    hideAlert();
    convId = id;
    conv = null;
    olderCursor = null;
    const mine = ++loadSeq;
    textarea.value = loadDraft(id);
    grow();
    updateSend();
    if (!id) {
      setTitle(null);
      column.replaceChildren(emptyState());
      textarea.focus();
      return;
    }
    column.replaceChildren(h('div', { class: 'loading-dots', 'aria-label': 'Loading conversation' }, h('span'), h('span'), h('span')));
    try {
      const [c, page] = await Promise.all([get(`/api/conversations/${id}`), get(`/api/conversations/${id}/messages?limit=50`), ready]);
      if (mine !== loadSeq) return;
      conv = c;
      setTitle(c);
      olderCursor = page.nextCursor;
      column.replaceChildren(...(olderCursor ? [olderButton()] : []), ...page.items.slice().reverse().map((m) => M.renderMessage(m)));
      if (!page.items.length) column.append(emptyState());
      toBottom();
      textarea.focus();
    } catch (err) {
      if (mine !== loadSeq || err.status === 401) return;
      setTitle(null, err.status === 404 ? 'Not found' : 'New chat');
      column.replaceChildren(h('div', { class: 'empty-chat' },
        h('h2', null, err.status === 404 ? 'Conversation not found' : 'Couldn’t load this conversation'),
        h('p', { class: 'muted' }, describe(err)),
        err.status === 404 ? h('a', { href: '/', class: 'btn btn-primary' }, 'Start a new chat')
          : h('button', { type: 'button', class: 'btn btn-primary', onclick: () => { convId = null; open(id); } }, 'Try again')));
      if (err.status === 404) convId = null;
    }
  }

  function olderButton() {
    const btn = h('button', { type: 'button', class: 'btn btn-ghost older-btn' }, 'Load earlier messages');
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        const page = await get(`/api/conversations/${convId}/messages?limit=50&cursor=${encodeURIComponent(olderCursor)}`);
        const before = scroller.scrollHeight;
        olderCursor = page.nextCursor;
        btn.after(...page.items.slice().reverse().map((m) => M.renderMessage(m)));
        if (!olderCursor) btn.remove(); else btn.disabled = false;
        scroller.scrollTop += scroller.scrollHeight - before; // keep the reader's place
      } catch (err) { btn.disabled = false; if (err.status !== 401) toast(describe(err), { kind: 'error' }); }
    });
    return btn;
  }

  function setTitle(c, fallback) {
    const t = c ? c.title || 'New chat' : fallback || 'New chat';
    title.textContent = t;
    document.title = `${t} · Stoa`;
  }

  // --- sending and streaming -------------------------------------------------------------
  async function send(text) {
    hideAlert();
    await ready;
    saveDraft(convId, text);
    let id = convId;
    if (!id) {
      try {
        const created = await post('/api/conversations', {});
        id = created.id;
        // The draft follows the chat to its new key; the URL catches up without reloading.
        clearDraft(null);
        convId = id;
        conv = created;
        saveDraft(id, text);
        navigate(`/c/${id}`, { replace: true });
        onConversation(created);
      } catch (err) {
        if (err.status !== 401) showAlert(describe(err), isRetryable(err) ? () => send(text) : null);
        return;
      }
    }
    column.querySelector('.empty-chat')?.remove();
    textarea.value = '';
    grow();
    updateSend();

    const userEl = M.renderMessage({ role: 'user', content: text, pending: true });
    const reply = pendingReply();
    column.append(userEl, reply.el);
    toBottom();

    const controller = new AbortController();
    stream = { controller, convId: id };
    setStreaming(true);
    let finished = false;
    let userSaved = false;
    try {
      const res = await request(`/api/conversations/${id}/messages`, {
        method: 'POST', body: { content: text }, accept: 'text/event-stream', signal: controller.signal,
      });
      for await (const { event, data } of S.readEvents(res)) {
        if (stream?.controller !== controller) break;
        const stick = nearBottom();
        if (event === 'message') {
          userSaved = true;
          userEl.replaceWith(M.renderMessage(data));
          if (convId === id) clearDraft(id);
        } else if (event === 'delta') {
          reply.addText(data.text || '');
        } else if (event === 'tool') {
          reply.addTool(data);
          if (M.isTaskTool(data.name)) onTasksChanged();
        } else if (event === 'sources') {
          reply.setSources(data.items || []);
        } else if (event === 'done') {
          finished = true;
          reply.el.replaceWith(M.renderMessage(data));
        } else if (event === 'error') {
          finished = true;
          const status = { RATE_LIMITED: 429, UPSTREAM_ERROR: 502, UNAVAILABLE: 503 }[data.code] || 500;
          const e = new ApiError(status, data.code, data.message);
          reply.fail(describe(e));
          showAlert(describe(e), () => send(text));
        }
        if (stick) toBottom();
      }
      if (!finished) {
        reply.fail('The connection dropped before the reply finished.');
        showAlert('The connection dropped. Reload the chat to see what was saved.', () => reloadCurrent());
      }
    } catch (err) {
      if (err.name === 'AbortError') {
        reply.stopped();
      } else {
        reply.el.remove();
        if (err.status === 401) {
          // The global handler is showing the login page; the draft is still stored.
          saveDraft(id, text);
          return;
        }
        if (userSaved || err.status === 502) {
          // The server kept the user's message: show it as saved and offer a retry.
          if (!userSaved) userEl.classList.remove('pending');
          showAlert(describe(err), () => send(text));
        } else {
          userEl.remove();
          if (convId === id) { textarea.value = text; grow(); updateSend(); saveDraft(id, text); }
          showAlert(describe(err), isRetryable(err) ? () => { textarea.value = ''; send(text); } : null);
        }
      }
    } finally {
      if (stream?.controller === controller) { stream = null; setStreaming(false); }
      if (convId === id) textarea.focus();
      refreshMeta(id);
    }
  }

  // The placeholder for an assistant reply while it streams.
  function pendingReply() {
    const text = h('div', { class: 'md streaming-text' });
    const tools = h('ul', { class: 'tools', hidden: true });
    const typing = h('div', { class: 'typing', 'aria-label': 'Assistant is typing' }, h('span'), h('span'), h('span'));
    const body = h('div', { class: 'msg-body' }, tools, typing, text);
    const el = h('article', { class: 'msg msg-assistant streaming', 'aria-busy': 'true' }, h('div', { class: 'msg-avatar', 'aria-hidden': 'true' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 28, height: 28 })), body);
    let buffer = '';
    const end = () => { typing.remove(); el.classList.remove('streaming'); el.removeAttribute('aria-busy'); };
    return {
      el,
      addText(t) { buffer += t; text.textContent = buffer; typing.hidden = true; },
      addTool(call) { tools.hidden = false; tools.append(M.toolLine(call)); },
      setSources(items) { body.querySelector('.sources')?.remove(); if (items.length) body.append(M.renderSources(items, 'live')); },
      fail(message) { end(); body.append(h('p', { class: 'msg-error' }, icon('alert', 14), message)); },
      stopped() { end(); if (!buffer) text.textContent = ''; body.append(h('p', { class: 'msg-note' }, buffer ? 'Stopped — the partial reply was saved.' : 'Stopped before the reply began.')); },
    };
  }

  async function refreshMeta(id) {
    try {
      const c = await get(`/api/conversations/${id}`);
      if (convId === id) { conv = c; setTitle(c); }
      onConversation(c);
    } catch { /* the list will catch up on the next refresh */ }
  }

  function reloadCurrent() { const id = convId; convId = null; open(id); }

  function stop() {
    if (!stream) return false;
    stream.controller.abort();
    stream = null;
    setStreaming(false);
    return true;
  }

  function persistDraft() { if (textarea.value.trim()) saveDraft(convId, textarea.value); }

  updateSend();
  return {
    el,
    open,
    stop,
    persistDraft,
    currentId: () => convId,
    focusComposer: () => textarea.focus(),
    renamed(c) { if (c.id === convId) { conv = c; setTitle(c); } },
  };
}

