// The signed-in chat layout: sidebar (conversations) | conversation | tasks panel.
// On narrow screens the sidebar and the tasks panel become drawers.

import { h, icon } from './ui.js';
import { createSidebar } from './sidebar.js';
import { createChat } from './chat.js';
import { createTasks } from './tasks.js';
import { session } from './session.js';

export function mountChatApp(root, navigate) {
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
