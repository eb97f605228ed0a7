// Conversation list: pinned first, infinite scroll over the cursor API, debounced search,
// rename / pin / archive / delete (the DELETE waits until the undo toast expires).

import { get, patch, del, qs, request, describe } from './api.js';
import { h, icon, toast, debounce } from './ui.js';
import { signOut } from './session.js';

const PAGE = 30;

export function createSidebar({ navigate, onDeletedCurrent, currentId, onNavigate, onRenamed }) {
  let query = '';
  let archived = false;
  let cursor = null;
  let loading = false;
  let generation = 0; // bumps on every reset so late pages of an old query are ignored
  let activeId = null;
  const convs = new Map(); // id → conversation
  const pendingDeletes = new Map(); // id → toast

  const search = h('input', {
    type: 'search', class: 'search-input', placeholder: 'Search chats', 'aria-label': 'Search conversations',
    autocomplete: 'off', spellcheck: 'false',
  });
  const list = h('ul', { class: 'conv-list', 'aria-label': 'Conversations' });
  const status = h('p', { class: 'conv-status muted', role: 'status' });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const scroller = h('nav', { class: 'conv-scroll', 'aria-label': 'Conversation list' }, list, status, sentinel);
  const tabChats = h('button', { type: 'button', class: 'tab', 'aria-pressed': 'true', onclick: () => setArchived(false) }, 'Chats');
  const tabArchived = h('button', { type: 'button', class: 'tab', 'aria-pressed': 'false', onclick: () => setArchived(true) }, 'Archived');
  const userName = h('span', { class: 'user-name' });
  const userEmail = h('span', { class: 'user-email' });
  const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' });

  const el = h('aside', { class: 'sidebar', id: 'sidebar', 'aria-label': 'Conversations' },
    h('div', { class: 'sidebar-head' },
      h('a', { href: '/', class: 'brand', 'aria-label': 'Stoa home' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 26, height: 26 }), h('span', null, 'Stoa')),
      h('a', { href: '/', class: 'btn btn-ghost new-chat', title: 'New chat' }, icon('plus'), h('span', null, 'New chat'))),
    h('div', { class: 'search' }, icon('search', 16), search, h('kbd', { class: 'search-kbd', 'aria-hidden': 'true' }, /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘K' : 'Ctrl K')),
    h('div', { class: 'tabs', role: 'group', 'aria-label': 'Show' }, tabChats, tabArchived),
    scroller,
    h('div', { class: 'sidebar-foot' },
      avatar, h('div', { class: 'user-meta' }, userName, userEmail),
      h('a', { href: '/settings', class: 'icon-btn', 'aria-label': 'Settings', title: 'Settings' }, icon('settings')),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Sign out', title: 'Sign out', onclick: doSignOut }, icon('logout'))));

  search.addEventListener('input', debounce(() => { query = search.value.trim(); reset(); }, 250));
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && search.value) { e.stopPropagation(); search.value = ''; query = ''; reset(); }
    if (e.key === 'ArrowDown') { e.preventDefault(); list.querySelector('.conv-link')?.focus(); }
  });
  list.addEventListener('click', (e) => { if (e.target.closest('.conv-link')) onNavigate(); });

  new IntersectionObserver((entries) => {
    if (entries.some((en) => en.isIntersecting) && cursor && !loading) loadMore();
  }, { root: scroller, rootMargin: '200px' }).observe(sentinel);

  // A DELETE that is still waiting for its undo toast is sent before the page goes away.
  window.addEventListener('pagehide', () => {
    for (const id of pendingDeletes.keys()) request(`/api/conversations/${id}`, { method: 'DELETE', keepalive: true }).catch(() => {});
  });

  function setArchived(v) {
    archived = v;
    tabChats.setAttribute('aria-pressed', String(!v));
    tabArchived.setAttribute('aria-pressed', String(v));
    reset();
  }

  async function reset() {
    generation++;
    cursor = null;
    convs.clear();
    await loadMore(true);
  }

  async function loadMore(first = false) {
    const gen = generation;
    loading = true;
    if (first) status.textContent = 'Loading…';
    try {
      const page = await get('/api/conversations' + qs({ limit: PAGE, cursor: first ? null : cursor, q: query, archived: archived ? 'true' : null }));
      if (gen !== generation) return;
      if (first) list.replaceChildren();
      for (const c of page.items) {
        if (pendingDeletes.has(c.id) || convs.has(c.id)) continue;
        convs.set(c.id, c);
        list.append(item(c));
      }
      cursor = page.nextCursor;
      status.textContent = convs.size ? '' : query ? `No chats match “${query}”.` : archived ? 'No archived chats.' : 'No chats yet. Say hello!';
    } catch (err) {
      if (gen === generation && err.status !== 401) status.textContent = describe(err);
    } finally {
      if (gen === generation) loading = false;
    }
    // Keep filling while the list is shorter than the viewport.
    if (gen === generation && cursor && scroller.scrollHeight <= scroller.clientHeight + 200) loadMore();
  }

  function item(c) {
    const title = c.title || 'New chat';
    const link = h('a', { href: `/c/${c.id}`, class: 'conv-link', 'aria-current': c.id === activeId ? 'page' : null },
      h('span', { class: 'conv-title' }, c.pinned ? h('span', { class: 'pin-mark', title: 'Pinned' }, icon('pin', 13), h('span', { class: 'sr-only' }, 'Pinned: ')) : null, h('span', { class: 'conv-title-text' }, title)),
      c.lastMessage ? h('span', { class: 'conv-preview' }, c.lastMessage.preview) : null);
    const more = h('button', { type: 'button', class: 'icon-btn conv-more', 'aria-label': `Options for ${title}`, 'aria-haspopup': 'menu', 'aria-expanded': 'false' }, icon('more'));
    const li = h('li', { class: 'conv' + (c.id === activeId ? ' active' : ''), dataset: { id: c.id } }, link, more);
    more.addEventListener('click', (e) => { e.stopPropagation(); openMenu(li, more, c); });
    return li;
  }

  function replaceItem(c) {
    convs.set(c.id, c);
    const old = list.querySelector(`li[data-id="${CSS.escape(c.id)}"]`);
    if (old) old.replaceWith(item(c));
  }

  let openMenuEl = null;
  function closeMenu() {
    if (!openMenuEl) return;
    openMenuEl.menu.remove();
    openMenuEl.button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('click', closeMenu);
    openMenuEl = null;
  }

  function openMenu(li, button, c) {
    const same = openMenuEl && openMenuEl.button === button;
    closeMenu();
    if (same) return;
    const entry = (label, ic, run, cls) => h('button', { type: 'button', role: 'menuitem', class: 'menu-item' + (cls ? ' ' + cls : ''), onclick: () => { closeMenu(); run(); } }, icon(ic, 16), label);
    const menu = h('div', { class: 'menu', role: 'menu', 'aria-label': `Options for ${c.title || 'chat'}` },
      entry('Rename', 'edit', () => rename(li, c)),
      archived ? null : entry(c.pinned ? 'Unpin' : 'Pin', 'pin', () => update(c, { pinned: !c.pinned }, true)),
      entry(archived ? 'Unarchive' : 'Archive', 'archive', () => archive(c, !archived)),
      entry('Delete', 'trash', () => remove(c), 'danger'));
    menu.addEventListener('keydown', (e) => {
      const items = [...menu.querySelectorAll('.menu-item')];
      const i = items.indexOf(document.activeElement);
      if (e.key === 'ArrowDown') { e.preventDefault(); items[(i + 1) % items.length].focus(); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
      else if (e.key === 'Escape') { e.stopPropagation(); closeMenu(); button.focus(); }
      else if (e.key === 'Tab') closeMenu();
    });
    li.append(menu);
    button.setAttribute('aria-expanded', 'true');
    openMenuEl = { menu, button };
    menu.querySelector('.menu-item').focus();
    setTimeout(() => document.addEventListener('click', closeMenu), 0);
  }

  async function update(c, changes, reorder = false) {
    try {
      const updated = await patch(`/api/conversations/${c.id}`, changes);
      if (reorder) reset(); else replaceItem(updated);
      return updated;
    } catch (err) {
      if (err.status !== 401) toast(describe(err), { kind: 'error' });
      return null;
    }
  }

  function rename(li, c) {
    const input = h('input', { type: 'text', class: 'rename-input', value: c.title || '', 'aria-label': 'Conversation title', maxlength: 200 });
    const link = li.querySelector('.conv-link');
    link.hidden = true;
    li.querySelector('.conv-more').hidden = true;
    li.prepend(input);
    input.focus();
    input.select();
    let finished = false;
    const finish = async (save) => {
      if (finished) return;
      finished = true;
      const title = input.value.trim();
      input.remove();
      link.hidden = false;
      li.querySelector('.conv-more').hidden = false;
      if (save && title && title !== c.title) {
        const updated = await update(c, { title });
        if (updated) onRenamed(updated);
      }
      li.querySelector('.conv-link')?.focus();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); finish(true); }
      else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); finish(false); }
    });
    input.addEventListener('blur', () => finish(true));
  }

  async function archive(c, value) {
    const updated = await update(c, { archived: value });
    if (!updated) return;
    dropItem(c.id);
    toast(value ? 'Chat archived.' : 'Chat moved back to your chats.', {
      action: { label: 'Undo', run: async () => { await patch(`/api/conversations/${c.id}`, { archived: !value }).catch(() => {}); reset(); } },
    });
  }

  function dropItem(id) {
    convs.delete(id);
    list.querySelector(`li[data-id="${CSS.escape(id)}"]`)?.remove();
    if (!convs.size && !cursor) status.textContent = archived ? 'No archived chats.' : 'No chats yet. Say hello!';
  }

  // Delete with undo: hide now, send the DELETE only when the toast expires.
  function remove(c) {
    const wasCurrent = currentId() === c.id;
    dropItem(c.id);
    if (wasCurrent) onDeletedCurrent();
    const t = toast(`Deleted “${c.title || 'New chat'}”.`, {
      timeout: 6000,
      action: {
        label: 'Undo',
        run: () => {
          pendingDeletes.delete(c.id);
          reset();
          if (wasCurrent) navigate(`/c/${c.id}`);
        },
      },
      onExpire: async () => {
        try { await del(`/api/conversations/${c.id}`); } catch (err) {
          if (err.status !== 404 && err.status !== 401) { toast(describe(err), { kind: 'error' }); reset(); }
        } finally { pendingDeletes.delete(c.id); }
      },
    });
    pendingDeletes.set(c.id, t);
  }

  async function doSignOut() {
    // Send pending deletes now: the user expects them to stick.
    for (const [, t] of pendingDeletes) t.dismiss();
    await signOut();
    navigate('/login?reason=signedout', { replace: true });
  }

  return {
    el,
    refresh: reset,
    focusSearch() { search.focus(); search.select(); },
    setUser(user) {
      userName.textContent = user.name || 'You';
      userEmail.textContent = user.email;
      avatar.textContent = (user.name || user.email || '?').trim().charAt(0).toUpperCase();
    },
    setActive(id) {
      activeId = id;
      for (const li of list.children) {
        const on = li.dataset.id === id;
        li.classList.toggle('active', on);
        li.querySelector('.conv-link')?.toggleAttribute('aria-current', on);
        if (on) li.querySelector('.conv-link')?.setAttribute('aria-current', 'page');
      }
    },
    // A conversation was created or changed by the chat: move it to the top of its group.
    upsert(c) {
      if (query || archived || pendingDeletes.has(c.id)) return;
      list.querySelector(`li[data-id="${CSS.escape(c.id)}"]`)?.remove();
      convs.set(c.id, c);
      const li = item(c);
      const firstUnpinned = [...list.children].find((x) => !convs.get(x.dataset.id)?.pinned);
      if (c.pinned) list.prepend(li);
      else if (firstUnpinned) list.insertBefore(li, firstUnpinned);
      else list.append(li);
      status.textContent = '';
    },
  };
}
