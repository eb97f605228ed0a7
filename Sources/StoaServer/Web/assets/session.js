// Who is signed in, drafts kept across expired sessions, and the trip to the login page.

import { get, post } from './api.js';

export const session = { user: null, sessionId: null };

export async function loadSession() {
  const data = await get('/api/auth/get-session', { quiet401: true });
  session.user = data && data.user ? data.user : null;
  session.sessionId = data && data.session ? data.session.id : null;
  if (session.user) localStorage.setItem('stoa.lastUser', session.user.id);
  return session.user;
}

// Drafts live in localStorage per user and conversation ('new' for a chat not created
// yet), so an expired session or a closed tab never loses what was typed.
function userKey() { return session.user ? session.user.id : localStorage.getItem('stoa.lastUser') || 'anon'; }
const draftKey = (convId) => `stoa.draft.${userKey()}.${convId || 'new'}`;
export function saveDraft(convId, text) {
  try {
    if (text && text.trim()) localStorage.setItem(draftKey(convId), text);
    else localStorage.removeItem(draftKey(convId));
  } catch { /* storage full or disabled: nothing to do */ }
}
export const loadDraft = (convId) => { try { return localStorage.getItem(draftKey(convId)) || ''; } catch { return ''; } };
export const clearDraft = (convId) => saveDraft(convId, '');

export function loginUrl(reason) {
  const next = location.pathname + location.search;
  const p = new URLSearchParams();
  if (next && next !== '/' && !next.startsWith('/login')) p.set('next', next);
  if (reason) p.set('reason', reason);
  const s = p.toString();
  return '/login' + (s ? '?' + s : '');
}

export async function signOut() {
  try { await post('/api/auth/sign-out', {}, { quiet401: true }); } catch { /* cookies are cleared anyway */ }
  session.user = null;
  session.sessionId = null;
}

// Only same-site paths are allowed as a post-login destination.
export function safeNext(value) {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.startsWith('/api/')) return '/';
  return value;
}
