// Tasks panel: the user's tasks (open first), checkboxes that PATCH directly, a quick
// add field; refreshed whenever the assistant runs a task tool.

import { get, patch, post, qs, describe } from './api.js';
import { h, icon, toast } from './ui.js';

export function createTasks({ onClose }) {
  const list = h('ul', { class: 'task-list', 'aria-label': 'Tasks' });
  const empty = h('p', { class: 'tasks-empty muted' });
  const count = h('span', { class: 'count-badge', 'aria-label': 'open tasks' });
  const input = h('input', { type: 'text', class: 'task-add-input', placeholder: 'Add a task', 'aria-label': 'New task title', maxlength: 500 });
  const form = h('form', { class: 'task-add' }, icon('plus', 16), input);
  const el = h('aside', { class: 'tasks-panel', id: 'tasks', 'aria-label': 'Tasks' },
    h('div', { class: 'panel-head' }, h('h2', null, 'Tasks'), count,
      h('button', { type: 'button', class: 'icon-btn panel-close', 'aria-label': 'Close tasks', onclick: onClose }, icon('x'))),
    form, h('div', { class: 'task-scroll' }, list, empty));

  let seq = 0;
  let tasks = [];

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const title = input.value.trim();
    if (!title) return;
    input.disabled = true;
    try {
      await post('/api/tasks', { title });
      input.value = '';
      await refresh();
    } catch (err) {
      if (err.status !== 401) toast(describe(err), { kind: 'error' });
    } finally {
      input.disabled = false;
      input.focus();
    }
  });

  async function refresh() {
    const mine = ++seq;
    try {
      const items = [];
      let cursor = null;
      // A handful of pages at most: the panel is a glance, not an archive.
      for (let i = 0; i < 5; i++) {
        const page = await get('/api/tasks' + qs({ status: 'all', limit: 100, cursor }));
        items.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      if (mine !== seq) return;
      tasks = items;
      render();
    } catch (err) {
      if (mine === seq && err.status !== 401) { empty.textContent = describe(err); empty.hidden = false; }
    }
  }

  function render() {
    const open = tasks.filter((t) => !t.completed);
    const done = tasks.filter((t) => t.completed);
    count.textContent = String(open.length);
    count.hidden = open.length === 0;
    list.replaceChildren(...open.map(row), ...(done.length ? [h('li', { class: 'task-sep', 'aria-hidden': 'true' }, `Done · ${done.length}`)] : []), ...done.map(row));
    empty.hidden = tasks.length > 0;
    empty.textContent = 'No tasks yet. Ask the assistant — “add a task to buy milk” — or type one above.';
  }

  function row(t) {
    const id = `task-${t.id}`;
    const box = h('input', { type: 'checkbox', id, checked: t.completed });
    box.addEventListener('change', async () => {
      const completed = box.checked;
      li.classList.toggle('done', completed);
      try {
        const updated = await patch(`/api/tasks/${t.id}`, { completed });
        Object.assign(t, updated);
        // Re-sort a moment later so the tick is visible before the row moves.
        setTimeout(render, 350);
      } catch (err) {
        box.checked = !completed;
        li.classList.toggle('done', !completed);
        if (err.status !== 401) toast(describe(err), { kind: 'error' });
      }
    });
    const due = t.dueAt ? h('span', { class: 'task-due' + (!t.completed && new Date(t.dueAt) < new Date() ? ' overdue' : '') }, dueLabel(t.dueAt)) : null;
    const li = h('li', { class: 'task' + (t.completed ? ' done' : ''), dataset: { id: t.id } },
      box, h('label', { for: id, class: 'task-label' }, h('span', { class: 'task-title' }, t.title), t.description ? h('span', { class: 'task-desc' }, t.description) : null, due));
    return li;
  }

  return { el, refresh };
}

function dueLabel(iso) {
  const d = new Date(iso);
  const today = new Date();
  const startOf = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(d) - startOf(today)) / 86400000);
  const time = d.getHours() || d.getMinutes() ? ' ' + d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }) : '';
  if (days === 0) return 'Today' + time;
  if (days === 1) return 'Tomorrow' + time;
  if (days === -1) return 'Yesterday' + time;
  return d.toLocaleDateString(undefined, { weekday: days > 0 && days < 7 ? 'short' : undefined, month: 'short', day: 'numeric' }) + time;
}
