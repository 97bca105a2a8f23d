// The sign-in page: POST /v1/session, with the service's refusals said plainly.
import { api } from './api.js';
import { h, replace } from './dom.js';

/**
 * @param {HTMLElement} main
 * @param {{ message?: string, onSignedIn: (user: any, email: string) => void }} opts
 */
export function renderSignIn(main, { message, onSignedIn }) {
  document.title = 'Sign in · Device clinic';
  const error = h('p', { class: 'form-error', id: 'signin-error', role: 'alert', hidden: true });
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true, 'aria-describedby': 'signin-error' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'signin-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin', novalidate: true },
    h('h1', null, 'Sign in'),
    h('p', { class: 'muted' }, 'Remote monitoring of implanted cardiac devices.'),
    message ? h('p', { class: 'notice', role: 'status' }, message) : null,
    error,
    h('div', { class: 'field' }, h('label', { for: 'email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    submit,
  );

  /** @param {string} text */
  const showError = (text) => {
    error.textContent = text;
    error.hidden = false;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const e = /** @type {HTMLInputElement} */ (email).value.trim();
    const p = /** @type {HTMLInputElement} */ (password).value;
    if (!e || !p) {
      showError('Enter your email and password.');
      (e ? password : email).focus();
      return;
    }
    error.hidden = true;
    submit.setAttribute('disabled', '');
    submit.textContent = 'Signing in…';
    try {
      const { user } = await api('POST', '/v1/session', { email: e, password: p }, { quiet401: true });
      onSignedIn(user, e);
    } catch (err) {
      showError(signInMessage(/** @type {any} */ (err)));
      /** @type {HTMLInputElement} */ (password).value = '';
      password.focus();
    } finally {
      submit.removeAttribute('disabled');
      submit.textContent = 'Sign in';
    }
  });

  replace(main, h('div', { class: 'signin-page' }, form));
  email.focus();
}

/** @param {{ status: number, code: string, retryAfterSeconds: number | null, message: string }} err */
export function signInMessage(err) {
  if (err.status === 401) return 'Email or password not recognised, or the account is disabled.';
  if (err.status === 429) {
    const minutes = err.retryAfterSeconds ? Math.max(1, Math.ceil(err.retryAfterSeconds / 60)) : null;
    return `Too many failed sign-ins. Signing in to this account is paused${minutes ? `; try again in about ${minutes} minute${minutes === 1 ? '' : 's'}` : ' for a while'}.`;
  }
  if (err.status === 403) return 'Sign-in was refused because the page was not opened from this service’s own address.';
  if (err.status === 0) return err.message;
  return `Sign-in failed (${err.status}: ${err.message}). Try again; if it keeps failing, contact support.`;
}
