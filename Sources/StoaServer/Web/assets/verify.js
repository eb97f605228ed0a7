// Email verification: the "verify your email" banner with resend, the /verify-email landing
// page (where a verification link leads), and the resend call they share.

import { post, describe } from './api.js';
import { h, icon, toast } from './ui.js';
import { field, banner, submitButton, EMAIL_RE } from './forms.js';
import { loadSession } from './session.js';

// Where the links in verification mails lead back to.
export const VERIFY_CALLBACK = '/verify-email';

export function resendVerification(email) {
  return post('/api/auth/send-verification-email', { email, callbackURL: VERIFY_CALLBACK }, { quiet401: true });
}

// The banner over the chat for a signed-in user whose email is not verified yet.
export function verifyBanner(user) {
  const resend = h('button', { type: 'button', class: 'btn btn-small' }, 'Resend link');
  const text = h('span', null, 'Verify your email: we sent a link to ', h('strong', null, user.email), '.');
  const el = h('div', { class: 'verify-banner', role: 'status', 'data-testid': 'verify-banner' }, icon('alert', 16), text, resend);
  resend.addEventListener('click', async () => {
    resend.disabled = true;
    try {
      await resendVerification(user.email);
      text.replaceChildren('A new link is on its way to ', h('strong', null, user.email), '. It works for one hour.');
      toast('Verification link sent.');
    } catch (err) {
      if (err.code === 'EMAIL_ALREADY_VERIFIED') { el.remove(); return; }
      toast(describe(err), { kind: 'error' });
      resend.disabled = false;
    }
  });
  return el;
}

const ERRORS = {
  TOKEN_EXPIRED: 'This verification link has expired. Links work for one hour.',
  INVALID_TOKEN: 'This verification link is not valid. It may have been cut short or changed.',
  USER_NOT_FOUND: 'This link is for an account that no longer exists, or whose email has changed since.',
  INVALID_USER: 'This link is for another account. Sign out, then open it again.',
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: 'Another account already uses this email, so it can’t be moved to yours.',
};

// /verify-email: the landing page of a verification link (`?error=CODE` when it failed).
export async function renderVerifyPage(card, params) {
  document.title = 'Verify email · Stoa';
  const error = params.get('error');
  const user = await loadSession().catch(() => null);
  if (!error) {
    card.append(h('div', { class: 'verify-ok', 'data-testid': 'verify-ok' }, icon('check', 28)),
      h('h1', null, 'Your email is verified'),
      h('p', { class: 'muted auth-sub' }, user ? `Thanks — ${user.email} is confirmed.` : 'Thanks — sign in to continue.'),
      h('a', { href: user ? '/' : '/login?reason=verified', class: 'btn btn-primary btn-block' }, user ? 'Go to your chats' : 'Sign in'));
    return;
  }
  const msg = banner();
  msg.show(ERRORS[error] || 'This verification link didn’t work.');
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'email', required: true, inputmode: 'email', value: user ? user.email : '' });
  const submit = submitButton('Send a new link');
  const done = banner('success');
  const form = h('form', { class: 'auth-form', novalidate: true }, email.el, submit.el);
  card.append(h('h1', null, 'Link not valid'), msg.el, h('p', { class: 'muted auth-sub' }, 'Enter your email and we’ll send a fresh verification link.'), done.el, form,
    h('p', { class: 'auth-switch' }, h('a', { href: user ? '/' : '/login' }, user ? 'Back to your chats' : 'Back to sign in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = email.value.trim();
    if (!EMAIL_RE.test(value)) { email.setError('Enter a valid email address, like name@example.com.'); email.input.focus(); return; }
    submit.busy(true);
    try {
      await resendVerification(value);
      done.show(`If ${value} has an account that still needs verifying, a new link is on its way.`, 'success');
    } catch (err) {
      if (err.code === 'EMAIL_ALREADY_VERIFIED') done.show('This email is already verified. You can sign in.', 'success');
      else msg.show(describe(err));
    } finally { submit.busy(false); }
  });
}

// After a sign-in refused for an unverified email: say so, and offer to send the link again.
export function notVerifiedNotice(msg, email) {
  msg.show(`Your email isn’t verified yet. We’ve sent a new link to ${email} — open it, then sign in.`, 'info');
  const again = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'resend-verification' }, 'Send the link again');
  again.addEventListener('click', async () => {
    again.disabled = true;
    try { await resendVerification(email); again.textContent = 'Sent'; } catch (err) { msg.show(describe(err)); again.disabled = false; }
  });
  msg.el.append(again);
}
