// The only way the UI talks to the server: same-origin fetch with the session cookie.
// Errors become ApiError {status, code, message, retryAfter}; a 401 from an app call
// goes through `onUnauthorized` (the app saves drafts and shows the login page).

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
