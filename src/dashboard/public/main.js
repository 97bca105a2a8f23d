// The page shell: session, header, connection banner, and client-side routing.
import { api, onSignedOut } from './api.js';
import { byId, h, replace } from './dom.js';
import { AlertStore, LiveStream } from './live.js';
import { Notifier } from './notify.js';
import { renderSignIn } from './signin.js';
import { renderQueue } from './queue.js';
import { renderPatients } from './patients.js';
import { renderPatient } from './patient.js';
import { renderOutcomes } from './outcomes.js';
import { renderWorklists } from './worklists.js';
import { timeOf } from './format.js';
import { PatientDirectory } from './directory.js';

const main = byId('main');
const topbar = byId('topbar');
const banner = byId('banner');
const connStatus = byId('conn-status');
const notifyToggle = byId('notify-toggle');

const store = new AlertStore();
const stream = new LiveStream(store);
const notifier = new Notifier();
const patients = new PatientDirectory();

/** The signed-in user; `email` is known from sign-in (the session answer does not carry it). */
const ctx = {
  /** @type {{ id: number, name: string, role: string, sites: string[], email: string | null } | null} */
  me: null,
  store,
  stream,
  notifier,
  patients,
  navigate,
  toast,
};

/** @type {(() => void) | null} */
let cleanup = null;

const EMAIL_KEY = 'dashboard.email';

/** @param {any} user */
function signedIn(user) {
  let email = null;
  try {
    const saved = JSON.parse(localStorage.getItem(EMAIL_KEY) ?? 'null');
    if (saved && saved.id === user.id) email = saved.email;
  } catch {
    /* nothing saved */
  }
  ctx.me = { ...user, email };
  byId('user-name').textContent = user.name;
  topbar.hidden = false;
  stream.start();
  route();
}

/** @param {string} [message] */
function showSignIn(message) {
  stream.stop();
  store.clear();
  patients.clear();
  ctx.me = null;
  cleanup?.();
  cleanup = null;
  topbar.hidden = true;
  hideBanner();
  renderSignIn(main, {
    message,
    onSignedIn: (user, email) => {
      localStorage.setItem(EMAIL_KEY, JSON.stringify({ id: user.id, email: email.toLowerCase() }));
      signedIn(user);
    },
  });
}

let signingOut = false;
onSignedOut(() => {
  if (ctx.me && !signingOut) showSignIn('Your session has ended. Sign in again to continue.');
});
stream.addEventListener('session-ended', () => showSignIn('Your session has ended. Sign in again to continue.'));

byId('sign-out').addEventListener('click', async () => {
  signingOut = true;
  try {
    await api('DELETE', '/v1/session', undefined, { quiet401: true });
    localStorage.removeItem(EMAIL_KEY);
    showSignIn('You have signed out.');
  } catch (err) {
    toast(`Sign-out failed: ${/** @type {Error} */ (err).message}`);
  } finally {
    signingOut = false;
  }
});

// Notifications toggle.
function renderNotifyToggle() {
  notifyToggle.setAttribute('aria-pressed', String(notifier.enabled));
  notifyToggle.textContent = `Sound and notifications: ${notifier.enabled ? 'on' : 'off'}`;
  notifyToggle.title = notifier.enabled
    ? `A tone and a desktop notification for each alert that opens high, worsens to high or escalates. ${notifier.desktopStatus}`.trim()
    : 'Off: turn on for a tone and a desktop notification for each alert that opens high, worsens to high or escalates.';
}
notifyToggle.addEventListener('click', async () => {
  await notifier.setEnabled(!notifier.enabled);
  renderNotifyToggle();
  const why = notifier.enabled ? notifier.desktopStatus : '';
  toast(notifier.enabled ? `Sound and notifications on for new high-priority alerts. ${why}`.trim() : 'Sound and notifications off.');
});
renderNotifyToggle();
store.addEventListener('change', (ev) => {
  const { alert, change, worsened } = /** @type {CustomEvent} */ (ev).detail;
  notifier.consider(alert, change, worsened);
});

// The connection state: a word in the header always; a banner while live updates are down.
/** @type {ReturnType<typeof setInterval> | null} */
let countdown = null;
/** @type {ReturnType<typeof setTimeout> | null} */
let bannerHide = null;
let downSince = 0;

function hideBanner() {
  if (countdown) clearInterval(countdown);
  if (bannerHide) clearTimeout(bannerHide);
  countdown = bannerHide = null;
  banner.hidden = true;
  banner.className = 'banner';
  banner.removeAttribute('role');
  replace(banner);
}

stream.addEventListener('state', (ev) => {
  const { state, attempt, retryAt, reconnected, everLive } = /** @type {CustomEvent} */ (ev).detail;
  connStatus.dataset.state = state;
  connStatus.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline';
  if (state === 'live') {
    if (countdown) clearInterval(countdown);
    countdown = null;
    if (reconnected && !banner.hidden) {
      banner.className = 'banner banner-ok';
      banner.setAttribute('role', 'status');
      replace(banner, h('strong', null, 'Reconnected.'), ` Live updates resumed at ${timeOf(Date.now())}; changes made while disconnected have been applied.`);
      bannerHide = setTimeout(hideBanner, 6000);
    } else if (!reconnected) hideBanner();
    return;
  }
  if (state === 'down') {
    if (bannerHide) clearTimeout(bannerHide);
    bannerHide = null;
    if (banner.hidden || banner.classList.contains('banner-ok')) downSince = Date.now();
    banner.hidden = false;
    banner.className = 'banner banner-down';
    banner.setAttribute('role', 'alert');
    const wait = h('span');
    const tick = () => {
      const s = Math.max(0, Math.ceil(((retryAt ?? Date.now()) - Date.now()) / 1000));
      wait.textContent = s > 0 ? `Reconnecting in ${s} s (attempt ${attempt}).` : 'Reconnecting…';
    };
    tick();
    if (countdown) clearInterval(countdown);
    countdown = setInterval(tick, 1000);
    replace(
      banner,
      h('strong', null, everLive ? 'Live updates interrupted.' : 'Cannot reach the live alert stream.'),
      ` Since ${timeOf(downSince)} new alerts and changes are not shown here; the queue may be out of date. `,
      wait,
      ' ',
      h('button', { type: 'button', onclick: () => stream.retryNow() }, 'Reconnect now'),
    );
  }
});

/** @param {string} text */
function toast(text) {
  const t = byId('toast');
  t.textContent = text;
  t.classList.add('show');
  setTimeout(() => {
    if (t.textContent === text) t.classList.remove('show');
  }, 5000);
}

/** @param {string} url */
function navigate(url) {
  history.pushState(null, '', url);
  route();
  // As a page load would: a screen reader starts at the new page, not at the old link.
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function route() {
  if (!ctx.me) return;
  cleanup?.();
  cleanup = null;
  const path = location.pathname;
  let m;
  let nav = '';
  if (path === '/') {
    nav = 'queue';
    cleanup = renderQueue(main, ctx);
  } else if (path === '/patients') {
    nav = 'patients';
    cleanup = renderPatients(main, ctx);
  } else if (path === '/worklists') {
    nav = 'worklists';
    cleanup = renderWorklists(main, ctx);
  } else if (path === '/reports/outcomes') {
    nav = 'outcomes';
    cleanup = renderOutcomes(main, ctx);
  } else if ((m = /^\/patients\/([^/]+)$/.exec(path))) {
    nav = 'patients';
    cleanup = renderPatient(main, ctx, decodeURIComponent(m[1] ?? ''));
  } else {
    document.title = 'Not found · Device clinic';
    replace(main, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/', 'data-link': true }, 'Go to the alert queue')));
  }
  for (const a of topbar.querySelectorAll('nav a')) {
    if (/** @type {HTMLElement} */ (a).dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// Links marked data-link change page without a reload, so the stream stays connected.
document.addEventListener('click', (ev) => {
  const a = /** @type {Element} */ (ev.target).closest?.('a[data-link]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(/** @type {HTMLAnchorElement} */ (a).getAttribute('href') ?? '/');
});
window.addEventListener('popstate', route);

async function boot() {
  try {
    const { user } = await api('GET', '/v1/session', undefined, { quiet401: true });
    signedIn(user);
  } catch (err) {
    if (/** @type {any} */ (err).status === 401) showSignIn();
    else replace(main, h('h1', null, 'The service is not answering'), h('p', { role: 'alert' }, /** @type {Error} */ (err).message), h('p', null, h('a', { href: location.pathname }, 'Try again')));
  }
}
void boot();
