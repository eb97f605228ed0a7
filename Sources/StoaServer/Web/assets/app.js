// Entry point: client-side routing between the auth pages, the chat and settings.
// The server already redirected signed-out visitors away from protected pages, so the
// chat shell is drawn at once and data fills it in as it arrives.

import { onUnauthorized } from './api.js';
import { session, loadSession, loginUrl } from './session.js';
import { h, icon } from './ui.js';

const root = document.getElementById('app');
const AUTH_PAGES = new Set(['/login', '/register', '/forgot-password', '/reset-password', '/verify-email']);
let chatApp = null; // the mounted chat layout, kept while moving between conversations
let redirecting = false;

export function navigate(path, { replace = false } = {}) {
  if (path === location.pathname + location.search) { if (!replace) return route(); }
  history[replace ? 'replaceState' : 'pushState'](null, '', path);
  return route();
}

// Any 401 from an API call: keep the draft (the chat saves it on every keystroke and on
// send), then show the login page with a message and the way back.
onUnauthorized(() => {
  if (redirecting) return;
  redirecting = true;
  if (chatApp) chatApp.persistDraft();
  session.user = null;
  const url = loginUrl('expired');
  chatApp = null;
  history.pushState(null, '', url);
  route().finally(() => { redirecting = false; });
});

async function route() {
  const path = location.pathname;
  if (AUTH_PAGES.has(path)) {
    chatApp = null;
    const { renderAuthPage } = await import('./auth.js');
    await renderAuthPage(root, path, navigate);
    shellReady();
    return;
  }
  if (path === '/settings') {
    chatApp = null;
    if (!(await requireUser())) return;
    const { renderSettings } = await import('./settings.js');
    await renderSettings(root, navigate);
    shellReady();
    return;
  }
  const m = /^\/c\/([^/]+)$/.exec(path);
  if (path === '/' || m) {
    if (!chatApp) {
      // App shell first: the frame is drawn from this module alone, while the feature
      // modules (already preloaded by index.html) finish loading; then they take over.
      if (!root.querySelector('.layout')) drawShell();
      shellReady();
      const [{ createSidebar }, { createChat }, { createTasks }] = await Promise.all([import('./sidebar.js'), import('./chat.js'), import('./tasks.js')]);
      chatApp = mountChatApp(root, navigate, { createSidebar, createChat, createTasks });
      if (!(await requireUser())) { chatApp = null; return; }
      chatApp.userReady();
    }
    chatApp.open(m ? decodeURIComponent(m[1]) : null);
    return;
  }
  chatApp = null;
  document.title = 'Not found · Stoa';
  root.replaceChildren(h('main', { class: 'auth-page' }, h('div', { class: 'auth-card' },
    h('h1', null, 'Page not found'), h('p', { class: 'muted' }, 'There is nothing at this address.'),
    h('a', { href: '/', class: 'btn btn-primary' }, 'Go to your chats'))));
  shellReady();
}

async function requireUser() {
  if (session.user) return true;
  let user = null;
  try { user = await loadSession(); } catch { /* treated as signed out below only on 401 */ }
  if (!user) {
    history.replaceState(null, '', loginUrl());
    await route();
    return false;
  }
  return true;
}

let marked = false;
function shellReady() {
  root.classList.remove('boot');
  root.removeAttribute('aria-busy');
  if (!marked) { marked = true; performance.mark('stoa-shell'); }
}

// Same-origin links navigate inside the app (no full reload).
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  if (url.hash && url.pathname === location.pathname) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => route());

// The static frame of the chat layout (same classes as the real one, so the swap is seamless).
function drawShell() {
  const dots = h('div', { class: 'loading-dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span'));
  root.replaceChildren(h('div', { class: 'layout' },
    h('aside', { class: 'sidebar' },
      h('div', { class: 'sidebar-head' }, h('span', { class: 'brand' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 26, height: 26 }), h('span', null, 'Stoa'))),
      h('div', { class: 'conv-scroll' })),
    h('main', { class: 'chat' }, h('header', { class: 'chat-head' }), h('div', { class: 'messages' }, h('div', { class: 'thread' }, dots)),
      h('div', { class: 'composer-wrap' }, h('div', { class: 'composer' }, h('div', { class: 'composer-input' }), h('span', { class: 'send-btn', 'aria-hidden': 'true' })))),
    h('aside', { class: 'tasks-panel' }, h('div', { class: 'panel-head' }))));
}

// --- chat layout ---------------------------------------------------------------------------

// The signed-in chat layout: sidebar (conversations) | conversation | tasks panel.
// On narrow screens the sidebar and the tasks panel become drawers.
function mountChatApp(root, navigate, { createSidebar, createChat, createTasks }) {
  const scrim = h('div', { class: 'scrim', onclick: () => closeDrawers() });
  const tasks = createTasks({ onClose: () => closeDrawers() });
  const chat = createChat({
    navigate,
    onConversation: (conv) => sidebar.upsert(conv),
    onTasksChanged: () => tasks.refresh(),
    openSidebar: () => openDrawer('sidebar'),
    toggleTasks: () => toggleTasks(),
  });
  const sidebar = createSidebar({
    navigate,
    onDeletedCurrent: () => navigate('/', { replace: true }),
    currentId: () => chat.currentId(),
    onNavigate: () => closeDrawers(),
    onRenamed: (conv) => chat.renamed(conv),
  });
  const layout = h('div', { class: 'layout' }, sidebar.el, scrim, chat.el, tasks.el);
  root.replaceChildren(layout);

  function openDrawer(which) {
    layout.classList.add(`${which}-open`);
    const panel = which === 'sidebar' ? sidebar.el : tasks.el;
    setTimeout(() => panel.querySelector('input, button, a[href]')?.focus(), 50);
  }
  function closeDrawers() {
    const wasOpen = layout.classList.contains('sidebar-open') || layout.classList.contains('tasks-open');
    layout.classList.remove('sidebar-open', 'tasks-open');
    if (wasOpen) chat.focusComposer();
  }
  function toggleTasks() {
    // Wide screens show the panel in place (toggle hides it); narrow ones use a drawer.
    if (matchMedia('(min-width: 1100px)').matches) layout.classList.toggle('tasks-hidden');
    else if (layout.classList.contains('tasks-open')) closeDrawers();
    else openDrawer('tasks');
  }

  // Keyboard: Ctrl/Cmd+K search, Esc stops a reply (or closes a drawer).
  const onKey = (e) => {
    if (!root.contains(layout)) { document.removeEventListener('keydown', onKey); return; }
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      if (!matchMedia('(min-width: 760px)').matches) layout.classList.add('sidebar-open');
      sidebar.focusSearch();
    } else if (e.key === 'Escape') {
      if (chat.stop()) { e.preventDefault(); return; }
      if (layout.classList.contains('sidebar-open') || layout.classList.contains('tasks-open')) closeDrawers();
    }
  };
  document.addEventListener('keydown', onKey);

  return {
    userReady() {
      if (session.user && session.user.emailVerified === false) {
        import('./verify.js').then(({ verifyBanner }) => {
          if (!chat.el.querySelector('.verify-banner')) chat.el.prepend(verifyBanner(session.user));
        });
      }
      sidebar.setUser(session.user);
      sidebar.refresh();
      tasks.refresh();
    },
    open(id) {
      closeDrawers();
      sidebar.setActive(id);
      chat.open(id);
    },
    persistDraft() { chat.persistDraft(); },
  };
}

route();
