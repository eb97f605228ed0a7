// Sign-in, sign-up, forgot-password and reset-password pages.

import { post, describe } from './api.js';
import { h } from './ui.js';
import { field, banner, submitButton, EMAIL_RE, checkPassword } from './forms.js';
import { loadSession, safeNext } from './session.js';
import { VERIFY_CALLBACK, renderVerifyPage, notVerifiedNotice } from './verify.js';

const NOTICES = {
  expired: ['Your session has ended. Sign in again to continue — anything you were typing is saved.', 'info'],
  signedout: ['You’re signed out.', 'success'],
  reset: ['Your password was changed. Sign in with the new one.', 'success'],
  deleted: ['Your account and all its data were deleted.', 'success'],
  password: ['Your password was changed. Sign in again.', 'success'],
  verified: ['Your email is verified. Sign in to continue.', 'success'],
  emailchanged: ['Your email was changed. Sign in with the new one.', 'success'],
};

export async function renderAuthPage(root, path, navigate) {
  const params = new URLSearchParams(location.search);
  // Already signed in? Sign-in and sign-up pages go straight to where the user was headed.
  if (path === '/login' || path === '/register') {
    const user = await loadSession().catch(() => null);
    if (user && !params.get('reason')) { navigate(safeNext(params.get('next')), { replace: true }); return; }
  }
  const page = { '/login': login, '/register': register, '/forgot-password': forgot, '/reset-password': reset, '/verify-email': renderVerifyPage }[path];
  const card = h('div', { class: 'auth-card' });
  root.replaceChildren(h('main', { class: 'auth-page' },
    h('a', { href: '/login', class: 'auth-brand', 'aria-label': 'Stoa' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 36, height: 36 }), h('span', null, 'Stoa')),
    card,
    h('p', { class: 'auth-foot muted' }, 'Your chats and tasks, in one place.')));
  await page(card, params, navigate);
  card.querySelector('input')?.focus();
}

function nextParam(params) {
  const next = params.get('next');
  return next ? '?next=' + encodeURIComponent(safeNext(next)) : '';
}

function login(card, params, navigate) {
  document.title = 'Sign in · Stoa';
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email' });
  const password = field('Password', { type: 'password', name: 'password', autocomplete: 'current-password', required: true }, { reveal: true });
  const remember = h('input', { type: 'checkbox', id: 'remember', name: 'remember', checked: true });
  const msg = banner();
  const submit = submitButton('Sign in');
  const notice = NOTICES[params.get('reason')];
  if (notice) msg.show(notice[0], notice[1]);
  const form = h('form', { class: 'auth-form', novalidate: true },
    msg.el, email.el, password.el,
    h('div', { class: 'row-between' },
      h('label', { class: 'check', for: 'remember' }, remember, h('span', null, 'Remember me')),
      h('a', { href: '/forgot-password' }, 'Forgot password?')),
    submit.el);
  card.append(h('h1', null, 'Welcome back'), h('p', { class: 'muted auth-sub' }, 'Sign in to continue to Stoa.'), form,
    h('p', { class: 'auth-switch' }, 'New here? ', h('a', { href: '/register' + nextParam(params) }, 'Create an account')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let bad = false;
    if (!EMAIL_RE.test(email.value.trim())) { email.setError('Enter a valid email address, like name@example.com.'); bad = true; }
    if (!password.value) { password.setError('Enter your password.'); bad = true; }
    if (bad) { form.querySelector('[aria-invalid=true]').focus(); return; }
    submit.busy(true);
    msg.hide();
    try {
      await post('/api/auth/sign-in/email', { email: email.value.trim(), password: password.value, rememberMe: remember.checked, callbackURL: VERIFY_CALLBACK }, { quiet401: true });
      await loadSession();
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (err) {
      if (err.code === 'EMAIL_NOT_VERIFIED') { notVerifiedNotice(msg, email.value.trim()); return; }
      msg.show(describe(err));
      if (err.code === 'INVALID_EMAIL') email.setError(describe(err));
      password.input.select();
      password.input.focus();
    } finally { submit.busy(false); }
  });
}

function register(card, params, navigate) {
  document.title = 'Create account · Stoa';
  const name = field('Name', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: 100 });
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'email', required: true, inputmode: 'email' });
  const password = field('Password', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 }, { reveal: true, hint: 'At least 8 characters.' });
  const msg = banner();
  const submit = submitButton('Create account');
  const form = h('form', { class: 'auth-form', novalidate: true }, msg.el, name.el, email.el, password.el, submit.el);
  card.append(h('h1', null, 'Create your account'), h('p', { class: 'muted auth-sub' }, 'Start chatting with your assistant in seconds.'), form,
    h('p', { class: 'auth-switch' }, 'Already have an account? ', h('a', { href: '/login' + nextParam(params) }, 'Sign in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let bad = false;
    if (!name.value.trim()) { name.setError('Tell us what to call you.'); bad = true; }
    if (!EMAIL_RE.test(email.value.trim())) { email.setError('Enter a valid email address, like name@example.com.'); bad = true; }
    const pwErr = checkPassword(password.value);
    if (pwErr) { password.setError(pwErr); bad = true; }
    if (bad) { form.querySelector('[aria-invalid=true]').focus(); return; }
    submit.busy(true);
    msg.hide();
    try {
      const reply = await post('/api/auth/sign-up/email', { name: name.value.trim(), email: email.value.trim(), password: password.value, callbackURL: VERIFY_CALLBACK }, { quiet401: true });
      if (reply && reply.token === null) {
        // The server requires a verified email before the first sign-in.
        card.replaceChildren(h('h1', null, 'Check your inbox'),
          h('p', { class: 'muted auth-sub', 'data-testid': 'check-inbox' }, `We sent a link to ${email.value.trim()}. Open it to verify your email, then sign in. It works for one hour.`),
          h('a', { href: '/login', class: 'btn btn-primary btn-block' }, 'Go to sign in'));
        return;
      }
      await loadSession();
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (err) {
      const text = describe(err);
      if (err.code && err.code.startsWith('USER_ALREADY_EXISTS')) { email.setError(text); email.input.focus(); }
      else if (err.code && err.code.startsWith('PASSWORD_TOO')) { password.setError(text); password.input.focus(); }
      else if (err.code === 'INVALID_EMAIL') { email.setError(text); email.input.focus(); }
      else msg.show(text);
    } finally { submit.busy(false); }
  });
}

function forgot(card, params) {
  document.title = 'Reset password · Stoa';
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'email', required: true, inputmode: 'email' });
  const msg = banner();
  const submit = submitButton('Send reset link');
  const form = h('form', { class: 'auth-form', novalidate: true }, msg.el, email.el, submit.el);
  card.append(h('h1', null, 'Forgot your password?'), h('p', { class: 'muted auth-sub' }, 'Enter your email and we’ll send you a link to choose a new one.'), form,
    h('p', { class: 'auth-switch' }, h('a', { href: '/login' }, 'Back to sign in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!EMAIL_RE.test(email.value.trim())) { email.setError('Enter a valid email address, like name@example.com.'); email.input.focus(); return; }
    submit.busy(true);
    msg.hide();
    try {
      await post('/api/auth/request-password-reset', { email: email.value.trim(), redirectTo: '/reset-password' }, { quiet401: true });
      form.replaceChildren(h('div', { class: 'banner banner-success', role: 'status' },
        h('span', null, `If an account exists for ${email.value.trim()}, a reset link is on its way. It works for one hour.`)));
    } catch (err) { msg.show(describe(err)); } finally { submit.busy(false); }
  });
}

function reset(card, params, navigate) {
  document.title = 'Choose a new password · Stoa';
  const token = params.get('token');
  const msg = banner();
  if (!token || params.get('error')) {
    card.append(h('h1', null, 'Reset link not valid'),
      h('p', { class: 'muted auth-sub' }, 'This password reset link is invalid or has expired. Links work once, for one hour.'),
      h('a', { href: '/forgot-password', class: 'btn btn-primary btn-block' }, 'Request a new link'));
    return;
  }
  const password = field('New password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 }, { reveal: true, hint: 'At least 8 characters.' });
  const confirm = field('Confirm new password', { type: 'password', autocomplete: 'new-password', required: true });
  const submit = submitButton('Set new password');
  const form = h('form', { class: 'auth-form', novalidate: true }, msg.el, password.el, confirm.el, submit.el);
  card.append(h('h1', null, 'Choose a new password'), h('p', { class: 'muted auth-sub' }, 'You’ll use it the next time you sign in.'), form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const pwErr = checkPassword(password.value);
    if (pwErr) { password.setError(pwErr); password.input.focus(); return; }
    if (confirm.value !== password.value) { confirm.setError('The passwords don’t match.'); confirm.input.focus(); return; }
    submit.busy(true);
    msg.hide();
    try {
      await post('/api/auth/reset-password', { newPassword: password.value, token }, { quiet401: true });
      navigate('/login?reason=reset', { replace: true });
    } catch (err) {
      if (err.code && err.code.startsWith('PASSWORD_TOO')) password.setError(describe(err)); else msg.show(describe(err));
    } finally { submit.busy(false); }
  });
}

