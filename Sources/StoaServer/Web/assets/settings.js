// Settings: profile name, password, active sessions, recent account activity, account deletion.

import { get, post, describe } from './api.js';
import { h, icon, toast, relativeTime, formatDate } from './ui.js';
import { field, banner, submitButton, checkPassword, EMAIL_RE } from './forms.js';
import { session, loadSession, signOut } from './session.js';
import { VERIFY_CALLBACK, resendVerification } from './verify.js';

export async function renderSettings(root, navigate) {
  document.title = 'Settings · Stoa';
  const user = session.user;
  root.replaceChildren(h('div', { class: 'settings-page' },
    h('header', { class: 'settings-head' },
      h('a', { href: '/', class: 'btn btn-ghost' }, icon('back', 16), 'Back to chats'),
      h('h1', null, 'Settings')),
    h('main', { class: 'settings-main' }, profile(user), emailSection(user), password(navigate), sessions(), activity(), danger(navigate))));
  root.querySelector('.settings-main input')?.focus();
}

function section(title, desc, ...content) {
  const id = 'sec-' + title.toLowerCase().replace(/\W+/g, '-');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), desc ? h('p', { class: 'muted card-desc' }, desc) : null, ...content);
}

function profile(user) {
  const name = field('Name', { type: 'text', value: user.name || '', autocomplete: 'name', maxlength: 100 });
  const msg = banner();
  const submit = submitButton('Save');
  const form = h('form', { class: 'stack', novalidate: true }, msg.el, name.el, h('div', { class: 'actions' }, submit.el));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = name.value.trim();
    if (!value) { name.setError('Your name can’t be empty.'); name.input.focus(); return; }
    submit.busy(true);
    msg.hide();
    try {
      await post('/api/auth/update-user', { name: value });
      await loadSession();
      msg.show('Saved.', 'success');
    } catch (err) { if (err.status !== 401) msg.show(describe(err)); } finally { submit.busy(false); }
  });
  return section('Profile', null, form);
}

// The current address (verified or not, with a resend link) and the change-of-email form: the
// new address gets a link, and the change happens when it is followed.
function emailSection(user) {
  const status = user.emailVerified
    ? h('span', { class: 'pill', 'data-testid': 'email-verified' }, 'Verified')
    : h('span', { class: 'pill pill-warn', 'data-testid': 'email-unverified' }, 'Not verified');
  const statusMsg = banner();
  const resend = user.emailVerified ? null : h('button', { type: 'button', class: 'btn btn-small' }, 'Send verification link');
  resend?.addEventListener('click', async () => {
    resend.disabled = true;
    try { await resendVerification(user.email); statusMsg.show(`A verification link is on its way to ${user.email}.`, 'success'); }
    catch (err) { statusMsg.show(describe(err)); resend.disabled = false; }
  });
  const current = h('p', { class: 'email-current' }, h('span', { 'data-testid': 'current-email' }, user.email), ' ', status, resend ? ' ' : null, resend);
  const next = field('New email', { type: 'email', name: 'newEmail', autocomplete: 'email', inputmode: 'email' },
    { hint: 'We’ll send a link to the new address. Your email changes when you open it.' });
  const msg = banner();
  const submit = submitButton('Change email');
  const form = h('form', { class: 'stack', novalidate: true, 'data-testid': 'change-email' }, msg.el, next.el, h('div', { class: 'actions' }, submit.el));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = next.value.trim();
    if (!EMAIL_RE.test(value)) { next.setError('Enter a valid email address, like name@example.com.'); next.input.focus(); return; }
    if (value.toLowerCase() === user.email.toLowerCase()) { next.setError('That is already your email.'); next.input.focus(); return; }
    submit.busy(true);
    msg.hide();
    try {
      await post('/api/auth/change-email', { newEmail: value, callbackURL: VERIFY_CALLBACK });
      next.input.value = '';
      msg.show(`Check ${value} for a link to confirm the change. Until you open it, your email stays ${user.email}.`, 'success');
    } catch (err) {
      if (err.code === 'CHANGE_EMAIL_DISABLED') msg.show('Changing your email is turned off on this server. Ask your administrator.');
      else if (err.code === 'VALIDATION_ERROR') next.setError(describe(err));
      else if (err.status !== 401) msg.show(describe(err));
    } finally { submit.busy(false); }
  });
  return section('Email', null, current, statusMsg.el, form);
}

function password(navigate) {
  const current = field('Current password', { type: 'password', autocomplete: 'current-password' }, { reveal: true });
  const next = field('New password', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 128 }, { reveal: true, hint: 'At least 8 characters.' });
  const revoke = h('input', { type: 'checkbox', id: 'pw-revoke', checked: true });
  const msg = banner();
  const submit = submitButton('Change password');
  const form = h('form', { class: 'stack', novalidate: true }, msg.el, current.el, next.el,
    h('label', { class: 'check', for: 'pw-revoke' }, revoke, h('span', null, 'Sign out my other devices')),
    h('div', { class: 'actions' }, submit.el));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!current.value) { current.setError('Enter your current password.'); current.input.focus(); return; }
    const pwErr = checkPassword(next.value);
    if (pwErr) { next.setError(pwErr); next.input.focus(); return; }
    submit.busy(true);
    msg.hide();
    try {
      await post('/api/auth/change-password', { currentPassword: current.value, newPassword: next.value, revokeOtherSessions: revoke.checked });
      current.input.value = '';
      next.input.value = '';
      msg.show(revoke.checked ? 'Password changed. Your other devices were signed out.' : 'Password changed.', 'success');
    } catch (err) {
      if (err.code === 'INVALID_PASSWORD') { current.setError('That isn’t your current password.'); current.input.focus(); }
      else if (err.code && err.code.startsWith('PASSWORD_TOO')) next.setError(describe(err));
      else if (err.status !== 401) msg.show(describe(err));
    } finally { submit.busy(false); }
  });
  return section('Password', null, form);
}

function describeAgent(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\/|Chromium\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : /python-requests/.test(ua) ? 'Python' : 'Browser';
  const os = /iPhone|iPad/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

function sessions() {
  const list = h('ul', { class: 'session-list' });
  const msg = banner();
  const revokeAll = h('button', { type: 'button', class: 'btn' }, 'Sign out other sessions');
  async function load() {
    msg.hide();
    try {
      const items = await get('/api/auth/list-sessions');
      items.sort((a, b) => (b.id === session.sessionId) - (a.id === session.sessionId) || b.updatedAt.localeCompare(a.updatedAt));
      list.replaceChildren(...items.map((s) => h('li', { class: 'session' },
        h('div', null,
          h('p', { class: 'session-name' }, describeAgent(s.userAgent), s.id === session.sessionId ? h('span', { class: 'pill' }, 'This device') : null),
          h('p', { class: 'muted small' }, [s.ipAddress || 'Unknown address', `signed in ${relativeTime(s.createdAt)}`, `expires ${relativeTime(s.expiresAt)}`].join(' · '))))));
      revokeAll.disabled = items.length < 2;
    } catch (err) {
      if (err.status !== 401) msg.show(describe(err));
    }
  }
  revokeAll.addEventListener('click', async () => {
    revokeAll.disabled = true;
    try {
      await post('/api/auth/revoke-other-sessions', {});
      toast('Other sessions were signed out.');
      await load();
    } catch (err) { if (err.status !== 401) msg.show(describe(err)); revokeAll.disabled = false; }
  });
  load();
  return section('Active sessions', 'Devices where you’re signed in.', msg.el, list, h('div', { class: 'actions' }, revokeAll));
}

// What each audit event type reads as; unknown (newer) types show as they are.
const activityLabels = {
  'user.signed_up': 'Account created',
  'session.signed_in': 'Signed in',
  'session.sign_in_failed': 'Failed sign-in attempt',
  'session.signed_out': 'Signed out',
  'session.revoked': 'Sessions signed out',
  'password.changed': 'Password changed',
  'password.reset_requested': 'Password reset requested',
  'password.reset_completed': 'Password reset',
  'user.updated': 'Profile updated',
  'email.verification_sent': 'Verification link sent',
  'email.verified': 'Email verified',
  'email.change_requested': 'Email change requested',
  'email.changed': 'Email changed',
};

function activityLabel(event) {
  if (event.type === 'session.revoked') {
    const scope = event.detail && event.detail.scope;
    return scope === 'one' ? 'A session was signed out' : scope === 'others' ? 'Other sessions signed out' : 'All sessions signed out';
  }
  if (event.type === 'session.sign_in_failed' && event.detail && event.detail.reason === 'wrong_password') return 'Failed sign-in (wrong password)';
  if (event.type === 'session.sign_in_failed' && event.detail && event.detail.reason === 'email_not_verified') return 'Sign-in refused (email not verified)';
  return activityLabels[event.type] || event.type;
}

function activity() {
  const list = h('ul', { class: 'activity-list' });
  const msg = banner();
  async function load() {
    try {
      const page = await get('/api/me/activity?limit=20');
      list.replaceChildren(...page.items.map((e) => h('li', { class: 'activity', dataset: { type: e.type } },
        h('p', { class: 'activity-name' }, activityLabel(e)),
        h('p', { class: 'muted small' },
          h('time', { datetime: e.createdAt, title: e.createdAt }, formatDate(e.createdAt)),
          ' · ' + [e.ipAddress || 'Unknown address', describeAgent(e.userAgent)].join(' · ')))));
      if (!page.items.length) list.replaceChildren(h('li', { class: 'activity muted' }, 'Nothing yet.'));
    } catch (err) {
      if (err.status !== 401) msg.show(describe(err));
    }
  }
  load();
  return section('Recent activity', 'Sign-ins, password changes and other account events, newest first.', msg.el, list);
}

function danger(navigate) {
  const pw = field('Password', { type: 'password', autocomplete: 'current-password' }, { hint: 'Enter your password to confirm.' });
  const confirmBox = h('input', { type: 'checkbox', id: 'del-confirm' });
  const msg = banner();
  const btn = h('button', { type: 'submit', class: 'btn btn-danger' }, 'Delete my account');
  const form = h('form', { class: 'stack', novalidate: true }, msg.el, pw.el,
    h('label', { class: 'check', for: 'del-confirm' }, confirmBox, h('span', null, 'I understand that all my chats and tasks will be deleted forever.')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!pw.value) { pw.setError('Enter your password to confirm.'); pw.input.focus(); return; }
    if (!confirmBox.checked) { msg.show('Tick the box to confirm.'); confirmBox.focus(); return; }
    btn.disabled = true;
    msg.hide();
    try {
      await post('/api/auth/delete-user', { password: pw.value });
      await signOut();
      navigate('/login?reason=deleted', { replace: true });
    } catch (err) {
      if (err.code === 'INVALID_PASSWORD') { pw.setError('That password isn’t right.'); pw.input.focus(); }
      else if (err.status === 404) msg.show('Deleting accounts is turned off on this server. Ask your administrator.');
      else if (err.status !== 401) msg.show(describe(err));
      btn.disabled = false;
    }
  });
  return h('section', { class: 'card card-danger', 'aria-labelledby': 'sec-danger' }, h('h2', { id: 'sec-danger' }, 'Delete account'),
    h('p', { class: 'muted card-desc' }, 'Permanently delete your account, chats and tasks. This can’t be undone.'), form);
}
