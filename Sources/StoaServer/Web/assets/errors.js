// Server error codes → sentences a person can act on.

const MESSAGES = {
  INVALID_EMAIL_OR_PASSWORD: 'That email and password don’t match. Check them and try again.',
  INVALID_EMAIL: 'Enter a valid email address.',
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: 'An account with this email already exists. Sign in instead, or use another email.',
  USER_ALREADY_EXISTS: 'An account with this email already exists. Sign in instead, or use another email.',
  PASSWORD_TOO_SHORT: 'Use at least 8 characters for your password.',
  PASSWORD_TOO_LONG: 'Use at most 128 characters for your password.',
  INVALID_PASSWORD: 'That password isn’t right.',
  EMAIL_NOT_VERIFIED: 'Verify your email address first — check your inbox for the link.',
  INVALID_TOKEN: 'This reset link is invalid or has already been used. Request a new one.',
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
