// Rendering of saved messages: sanitised Markdown HTML, code blocks with a copy button,
// inline tool activity and numbered source citations.

import { sanitize, safeUrl } from './sanitize.js';
import { h, icon, toast } from './ui.js';

const TASK_TOOLS = new Set(['add_task', 'complete_task', 'update_task', 'delete_task']);
export const isTaskTool = (name) => TASK_TOOLS.has(name);

export function renderMessage(m) {
  const isUser = m.role === 'user';
  const body = h('div', { class: 'msg-body' });
  if (!isUser && m.toolCalls && m.toolCalls.length) body.append(renderTools(m.toolCalls));
  const md = h('div', { class: 'md' });
  if (m.html != null) md.append(sanitize(m.html));
  else md.append(h('p', { class: 'plain' }, m.content || '')); // optimistic user text: escaped
  enhanceCode(md);
  if (!isUser && m.sources && m.sources.length) linkCitations(md, m.id, m.sources.length);
  body.append(md);
  if (!isUser && m.sources && m.sources.length) body.append(renderSources(m.sources, m.id));
  if (m.truncated) body.append(h('p', { class: 'msg-note' }, 'Stopped — this reply is incomplete.'));
  if (!isUser && m.id) body.append(h('div', { class: 'msg-actions' }, copyButton(() => m.content || '', 'Copy reply')));
  return h('article', { class: `msg msg-${isUser ? 'user' : 'assistant'}${m.pending ? ' pending' : ''}`, dataset: m.id ? { id: m.id } : null, 'aria-label': isUser ? 'You said' : 'Stoa replied' },
    isUser ? null : h('div', { class: 'msg-avatar', 'aria-hidden': 'true' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 28, height: 28 })),
    body);
}

export function renderTools(calls) {
  return h('ul', { class: 'tools', 'aria-label': 'Assistant actions' }, calls.map(toolLine));
}

// One line of tool activity, e.g. "Added task: Buy milk".
export function toolLine(call) {
  const a = call.arguments || {};
  const r = call.result || {};
  const task = r.task || r.deleted || {};
  let text;
  switch (call.name) {
    case 'add_task': text = `Added task: ${task.title || a.title || ''}`; break;
    case 'complete_task': text = `Completed task: ${task.title || ''}`; break;
    case 'update_task':
      text = `${a.completed === true ? 'Completed' : a.completed === false ? 'Reopened' : 'Updated'} task: ${task.title || a.title || ''}`; break;
    case 'delete_task': text = `Deleted task: ${task.title || ''}`; break;
    case 'list_tasks': text = `Checked your tasks (${Array.isArray(r.tasks) ? r.tasks.length : 0} found)`; break;
    case 'search_documents': text = `Searched documents for “${a.query || ''}” (${Array.isArray(r.results) ? r.results.length : 0} found)`; break;
    default: text = `Used ${call.name}`;
  }
  const failed = typeof r.error === 'string';
  return h('li', { class: 'tool' + (failed ? ' tool-failed' : '') },
    icon(call.name === 'search_documents' ? 'book' : failed ? 'alert' : TASK_TOOLS.has(call.name) ? 'check' : 'tool', 14),
    h('span', null, failed ? `${text.replace(/:\s*$/, '')} — failed: ${r.error}` : text.replace(/:\s*$/, '')));
}

export function renderSources(items, msgId) {
  return h('section', { class: 'sources', 'aria-label': 'Sources' },
    h('h3', null, 'Sources'),
    h('ol', null, items.map((s, i) => {
      const url = s.source && /^https?:\/\//i.test(s.source) ? safeUrl(s.source) : null;
      const name = s.title || s.source || 'Document';
      return h('li', { id: `src-${msgId}-${i + 1}`, class: 'source' },
        h('span', { class: 'source-num', 'aria-hidden': 'true' }, String(i + 1)),
        h('div', { class: 'source-main' },
          url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow', class: 'source-title' }, name)
            : h('span', { class: 'source-title' }, name),
          s.source && s.source !== name ? h('span', { class: 'source-path' }, s.source) : null,
          s.snippet ? h('p', { class: 'source-snippet' }, s.snippet) : null));
    })));
}

// Turn "[2]" in the reply text (outside code) into a link to the second source.
function linkCitations(root, msgId, count) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement.closest('code, pre, a') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  while (walker.nextNode()) if (/\[\d+\]/.test(walker.currentNode.data)) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const parts = node.data.split(/(\[\d+\])/);
    const frag = document.createDocumentFragment();
    for (const part of parts) {
      const m = /^\[(\d+)\]$/.exec(part);
      const n = m && Number(m[1]);
      if (n && n >= 1 && n <= count) {
        frag.append(h('sup', null, h('a', { href: `#src-${msgId}-${n}`, class: 'cite', 'aria-label': `Source ${n}` }, String(n))));
      } else if (part) frag.append(part);
    }
    node.replaceWith(frag);
  }
}

function enhanceCode(root) {
  for (const pre of root.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    const lang = code && /language-([\w+#-]+)/.exec(code.className)?.[1];
    const wrap = h('div', { class: 'code-block' },
      h('div', { class: 'code-head' }, h('span', null, lang || 'code'), copyButton(() => (code || pre).textContent, 'Copy code')));
    pre.replaceWith(wrap);
    wrap.append(pre);
  }
}

function copyButton(getText, label) {
  const btn = h('button', { type: 'button', class: 'copy-btn', 'aria-label': label, title: label }, icon('copy', 14), h('span', null, 'Copy'));
  btn.addEventListener('click', async () => {
    try {
      await copyText(getText());
      btn.classList.add('copied');
      btn.lastChild.textContent = 'Copied';
      setTimeout(() => { btn.classList.remove('copied'); btn.lastChild.textContent = 'Copy'; }, 1500);
    } catch { toast('Couldn’t copy — select the text and copy it yourself.', { kind: 'error' }); }
  });
  return btn;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  // Plain-http hosts other than localhost have no async clipboard: fall back.
  const ta = h('textarea', { class: 'sr-only', readonly: true });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('copy failed');
}
