// Form fields with their own error message (aria-describedby / aria-invalid) and a
// banner for form-wide errors. Shared by the auth pages and settings.

import { h, icon } from './ui.js';

let uid = 0;

export function field(label, attrs, { hint, reveal } = {}) {
  const id = `f${++uid}`;
  const input = h('input', { id, class: 'input', ...attrs });
  const error = h('p', { class: 'field-error', id: `${id}-err`, hidden: true });
  const hintEl = hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null;
  input.setAttribute('aria-describedby', [hintEl && `${id}-hint`, `${id}-err`].filter(Boolean).join(' '));
  let control = input;
  if (reveal) {
    const btn = h('button', { type: 'button', class: 'reveal', 'aria-label': 'Show password', 'aria-pressed': 'false' }, icon('eye', 16));
    btn.addEventListener('click', () => {
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      btn.setAttribute('aria-pressed', String(show));
      btn.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
    });
    control = h('div', { class: 'input-wrap' }, input, btn);
  }
  const el = h('div', { class: 'field' }, h('label', { for: id, class: 'label' }, label), control, hintEl, error);
  const setError = (msg) => {
    error.textContent = msg || '';
    error.hidden = !msg;
    input.toggleAttribute('aria-invalid', !!msg);
    if (msg) input.setAttribute('aria-invalid', 'true');
  };
  input.addEventListener('input', () => setError(''));
  return { el, input, setError, get value() { return input.value; } };
}

export function banner(kind = 'error') {
  const el = h('div', { class: `banner banner-${kind}`, role: kind === 'error' ? 'alert' : 'status', hidden: true });
  return {
    el,
    show(msg, k = kind) { el.className = `banner banner-${k}`; el.replaceChildren(icon(k === 'error' ? 'alert' : 'check', 16), h('span', null, msg)); el.hidden = false; },
    hide() { el.hidden = true; el.replaceChildren(); },
  };
}

export function submitButton(label) {
  const btn = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, label));
  return {
    el: btn,
    busy(on) { btn.disabled = on; btn.classList.toggle('busy', on); btn.setAttribute('aria-busy', String(on)); },
  };
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkPassword(pw) {
  if (!pw) return 'Enter a password.';
  if (pw.length < 8) return 'Use at least 8 characters.';
  if (pw.length > 128) return 'Use at most 128 characters.';
  return '';
}
