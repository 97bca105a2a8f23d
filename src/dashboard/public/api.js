// The JSON API, as the signed-in page calls it. Same-origin fetches carry the session
// cookie and the Origin header the service's CSRF check wants.

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {number | null} retryAfterSeconds
   */
  constructor(status, code, message, retryAfterSeconds) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Listeners told when a request finds the session gone (401). */
const signedOutListeners = new Set();

/** @param {() => void} fn */
export function onSignedOut(fn) {
  signedOutListeners.add(fn);
}

/**
 * @param {'GET' | 'POST' | 'PUT' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ quiet401?: boolean }} [opts] quiet401: a 401 is the caller's business (sign-in, session check)
 */
export async function api(method, path, body, opts = {}) {
  /** @type {RequestInit} */
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The service could not be reached. Check the connection and try again.', null);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  /** @type {any} */
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const retry = Number(res.headers.get('retry-after'));
    const err = new ApiError(res.status, data?.code ?? 'http_' + res.status, data?.message ?? res.statusText, Number.isFinite(retry) && retry > 0 ? retry : null);
    if (res.status === 401 && !opts.quiet401) for (const fn of signedOutListeners) fn();
    throw err;
  }
  return data;
}

/** @param {Record<string, string | number | null | undefined>} params */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
