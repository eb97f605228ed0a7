// The only way the UI talks to the server: same-origin fetch with the session cookie.
// Errors become ApiError {status, code, message, retryAfter}; a 401 from an app call
// goes through `onUnauthorized` (the app saves drafts and shows the login page).
// `describe(err)` turns server error codes into sentences a person can act on.

import { timeZone } from './ui.js';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.retryAfter = retryAfter;
  }
}

let unauthorizedHandler = null;
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

export async function request(path, { method = 'GET', body, headers = {}, signal, accept, quiet401 = false, keepalive } = {}) {
  const h = { Accept: accept || 'application/json', 'X-Timezone': timeZone, ...headers };
  const init = { method, headers: h, credentials: 'same-origin', signal, keepalive };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', '');
  }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* empty body */ }
    const retry = res.headers.get('Retry-After') || res.headers.get('X-Retry-After');
    const err = new ApiError(res.status, data && data.code, data && data.message, retry ? Number(retry) : undefined);
    if (res.status === 401 && !quiet401 && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  return res;
}

export async function json(path, opts) {
  const res = await request(path, opts);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, opts) => json(path, { ...opts, method: 'GET' });
export const post = (path, body, opts) => json(path, { ...opts, method: 'POST', body: body ?? {} });
export const patch = (path, body, opts) => json(path, { ...opts, method: 'PATCH', body });
export const del = (path, opts) => json(path, { ...opts, method: 'DELETE' });

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

// --- error codes → sentences -------------------------------------------------------------

const MESSAGES = {
  INVALID_EMAIL_OR_PASSWORD: 'That email and password don’t match. Check them and try again.',
  INVALID_EMAIL: 'Enter a valid email address.',
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: 'An account with this email already exists. Sign in instead, or use another email.',
  USER_ALREADY_EXISTS: 'An account with this email already exists. Sign in instead, or use another email.',
  PASSWORD_TOO_SHORT: 'Use at least 8 characters for your password.',
  PASSWORD_TOO_LONG: 'Use at most 128 characters for your password.',
  INVALID_PASSWORD: 'That password isn’t right.',
  EMAIL_NOT_VERIFIED: 'Verify your email address first — check your inbox for the link.',
  INVALID_TOKEN: 'This link is invalid or has already been used. Request a new one.',
  EMAIL_MISMATCH: 'That isn’t the email of the account you’re signed in with.',
  EMAIL_ALREADY_VERIFIED: 'Your email is already verified.',
  CHANGE_EMAIL_DISABLED: 'Changing your email is turned off on this server.',
  TOKEN_EXPIRED: 'This link has expired. Request a new one.',
  RESET_PASSWORD_DISABLED: 'Password reset isn’t available on this server. Ask your administrator for help.',
  EMAIL_PASSWORD_SIGN_UP_DISABLED: 'New sign-ups are turned off on this server.',
  EMAIL_PASSWORD_DISABLED: 'Signing in with a password is turned off on this server.',
  FAILED_TO_CREATE_USER: 'We couldn’t create your account. Try again in a moment.',
  SESSION_NOT_FRESH: 'For your security, sign in again before doing this.',
  SESSION_EXPIRED: 'For your security, sign in again before doing this.',
  CREDENTIAL_ACCOUNT_NOT_FOUND: 'This account has no password set.',
  USER_NOT_FOUND: 'We couldn’t find that account.',
  UNAUTHORIZED: 'Your session has ended. Sign in again to continue.',
  NOT_FOUND: 'This conversation doesn’t exist or was deleted.',
  PAYLOAD_TOO_LARGE: 'That message is too long. Keep it under 32,000 characters.',
  MISSING_OR_NULL_ORIGIN: 'Your browser blocked this request. Reload the page and try again.',
  INVALID_ORIGIN: 'Your browser blocked this request. Reload the page and try again.',
};

export function describe(err) {
  if (!err) return 'Something went wrong.';
  if (err.status === 0) return 'Can’t reach Stoa. Check your connection and try again.';
  if (err.status === 429) return `Too many requests. Wait ${err.retryAfter ? pluralSeconds(err.retryAfter) : 'a moment'} and try again.`;
  if (err.status === 502) return 'The assistant’s model didn’t answer. Your message was kept — try again.';
  if (err.status === 503) return `Stoa is busy right now. Try again in ${err.retryAfter ? pluralSeconds(err.retryAfter) : 'a moment'}.`;
  if (MESSAGES[err.code]) return MESSAGES[err.code];
  if (err.code === 'VALIDATION_ERROR' && err.message) return err.message.replace(/^\[[^\]]*\]\s*/, '');
  if (err.status >= 500) return 'Something went wrong on the server. Try again.';
  return err.message || 'Something went wrong.';
}

// Whether retrying the same request later may work (keep the user's input and offer Retry).
export const isRetryable = (err) => err && (err.status === 0 || err.status === 429 || err.status === 502 || err.status === 503);

function pluralSeconds(n) { return n === 1 ? '1 second' : `${n} seconds`; }
