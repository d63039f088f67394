// The web app's shell: demo sign-in, the gateway connection (with its state shown), and a page
// per journey chosen by the URL hash.
import { GatewayClient, type ClientEvents } from '../../gateway/client';
import { CloseCode } from '../../gateway/close-codes';
import { api, escapeHtml, setOnTraced, setOnUnauthorized, setToken, showError, tokenExpiry } from './api';
import type { AppContext, Page } from './page';
import { chatPage } from './pages/chat';
import { eventsPage } from './pages/events';
import { ledgerPage } from './pages/ledger';
import { notificationsPage } from './pages/notifications';
import { purchasePage } from './pages/purchase';
import { traceHref, tracePage } from './pages/trace';

const PAGES: Record<string, Page> = {
  purchase: purchasePage,
  events: eventsPage,
  ledger: ledgerPage,
  notifications: notificationsPage,
  chat: chatPage,
  traces: tracePage,
};

const main = document.getElementById('page')!;
const indicator = document.getElementById('connection')!;
const retryNow = document.getElementById('retry-now') as HTMLButtonElement;
/** Each page's own document title (the tab, the history, screen readers on navigation). */
const TITLES: Record<string, string> = {
  purchase: 'Purchase',
  chat: 'Chat',
  events: 'Events',
  ledger: 'Ledger',
  notifications: 'Notifications',
  traces: 'Trace',
};
const EXPIRED = 'Your session expired. Sign in again.';
const REFUSED = 'Your sign-in was not accepted: please sign in again.';
/** Who was signed in last on this tab: offered again by the sign-in form after an expiry. */
const LAST_USER = 'tidings.lastUser';

const SESSION = 'tidings.session';
const account = document.getElementById('account')!;
const lastTrace = document.getElementById('last-trace')!;

/**
 * A saved session still accepted for a while; an expired one is dropped with the reason shown, and
 * one that cannot be read at all (garbage) is not called "expired".
 */
function savedSession(): { session?: { userId: string; token: string }; notice: string } {
  const saved = sessionStorage.getItem(SESSION);
  if (!saved) return { notice: '' };
  let session: { userId: string; token: string } | undefined;
  try {
    session = JSON.parse(saved) as { userId: string; token: string };
  } catch {
    session = undefined;
  }
  const expiry = session ? tokenExpiry(session.token) : 0;
  if (session && expiry > Date.now()) return { session, notice: '' };
  sessionStorage.removeItem(SESSION);
  return { notice: expiry ? EXPIRED : REFUSED };
}

async function signIn(notice = ''): Promise<{ userId: string; token: string }> {
  const saved = savedSession();
  if (saved.session) return saved.session;
  const message = notice || saved.notice;
  const last = sessionStorage.getItem(LAST_USER);
  // After an expiry (or a refused token) the form offers the user who was signed in.
  const offered = message && last ? last : `demo-${Math.floor(Math.random() * 1000)}`;
  account.innerHTML = '';
  document.title = 'Sign in · Tidings';
  main.innerHTML = `<h1>Sign in</h1>
    ${message ? `<p id="signin-notice" class="notice" role="alert">${escapeHtml(message)}${message && last ? ` You were signed in as <strong>${escapeHtml(last)}</strong>.` : ''}</p>` : ''}
    <form id="signin" class="card">
      <label>Demo user <input name="userId" required autocomplete="username" value="${escapeHtml(offered)}" /></label>
      <span class="field-error" data-error-for="userId"></span>
      <button type="submit">Sign in</button>
      <span class="field-error" data-error-for="form"></span>
    </form>`;
  const form = document.getElementById('signin') as HTMLFormElement;
  return new Promise((resolve) => {
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const userId = String(new FormData(form).get('userId'));
      api<{ token: string }>('POST', '/dev/token', { userId }).then(
        ({ token }) => {
          sessionStorage.setItem(SESSION, JSON.stringify({ userId, token }));
          sessionStorage.setItem(LAST_USER, userId);
          resolve({ userId, token });
        },
        (err: unknown) => showError(form, err),
      );
    });
  });
}

function showConnection(s: ClientEvents['state']): void {
  indicator.dataset.state = s.state;
  // Waiting to reconnect (or given up): the user need not wait out the backoff.
  retryNow.hidden = s.state !== 'reconnecting' && s.state !== 'closed';
  if (s.state === 'reconnecting' && s.delayMs !== undefined) {
    let left = Math.ceil(s.delayMs / 1000);
    indicator.textContent = `reconnecting in ${left} s`;
    const tick = setInterval(() => {
      left -= 1;
      if (indicator.dataset.state !== 'reconnecting' || left < 0) return clearInterval(tick);
      indicator.textContent = `reconnecting in ${left} s`;
    }, 1000);
  } else indicator.textContent = s.state === 'open' ? 'connected' : s.state;
}

let gateway: GatewayClient | undefined;
let signedOut = false;

/** Ends the session (sign-out, or the token expired): the gateway closed and the sign-in form shown. */
function endSession(notice: string): void {
  if (signedOut) return;
  signedOut = true;
  sessionStorage.removeItem(SESSION);
  setToken('');
  gateway?.close();
  gateway = undefined;
  pageChannels.clear();
  // The last request was this user's: its trace is not the next one's.
  lastTrace.hidden = true;
  lastTrace.innerHTML = '';
  indicator.dataset.state = 'closed';
  indicator.textContent = 'signed out';
  retryNow.hidden = true;
  void session(notice);
}

async function session(notice = ''): Promise<void> {
  const { userId, token } = await signIn(notice);
  signedOut = false;
  setToken(token);
  account.innerHTML = `<span id="whoami">Signed in as <strong>${escapeHtml(userId)}</strong></span> <button type="button" id="signout">Sign out</button>`;
  account.querySelector('#signout')!.addEventListener('click', () => endSession('You signed out.'));
  sessionStorage.setItem(LAST_USER, userId);
  const expired = () => endSession(EXPIRED);
  // The gateway asks before every attempt: an expired token ends the session instead of
  // reconnecting forever with a token the gateway refuses.
  gateway = new GatewayClient({
    url: config.gatewayUrl,
    getToken: () => {
      if (tokenExpiry(token) <= Date.now()) queueMicrotask(expired);
      return token;
    },
  });
  gateway.on('state', (s) => {
    if (s.closeCode === CloseCode.tokenExpired) expired();
    else if (!signedOut) showConnection(s);
  });
  gateway.on('event', (e) => listeners.forEach((l) => l(e)));
  gateway.on('gap', ({ channel }) => gapListeners.forEach((l) => l(channel)));
  gateway.connect();
  const gw = gateway;
  app = {
    userId,
    gateway: gw,
    config,
    onEvent: (l) => void listeners.push(l),
    onGap: (l) => void gapListeners.push(l),
    subscribe: (channel) => {
      if (pageChannels.has(channel)) return;
      pageChannels.add(channel);
      gw.subscribe(channel);
    },
  };
  route();
}

let config: AppContext['config'];
let app: AppContext | undefined;
let listeners: ((e: ClientEvents['event']) => void)[] = [];
let gapListeners: ((channel: string) => void)[] = [];
/** Channels the shown page subscribed to (its own user channel is always on). */
const pageChannels = new Set<string>();

function route(): void {
  if (!app || signedOut) return;
  // #/chat/<id>: the page is the first part, the rest is the page's own (the open conversation).
  const name = location.hash.replace(/^#\//, '').split('/')[0] || 'purchase';
  listeners = [];
  gapListeners = [];
  for (const channel of pageChannels) app.gateway.unsubscribe(channel);
  pageChannels.clear();
  for (const a of document.querySelectorAll('nav a')) a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${name}`);
  document.querySelector('nav a[aria-current]')?.setAttribute('aria-current', 'page');
  const page = PAGES[name];
  document.title = `${TITLES[name] ?? 'Page not found'} · Tidings`;
  if (page) page(main, app);
  else
    main.innerHTML = `<h1 id="not-found">Page not found</h1>
      <p>There is no page <code>${escapeHtml(location.hash || location.pathname)}</code>. Choose one of the journeys above, or go to <a href="#/purchase">Purchase</a>.</p>`;
  window.scrollTo(0, 0);
  main.focus({ preventScroll: true });
}

async function start(): Promise<void> {
  config = await api<AppContext['config']>('GET', '/config.json');
  // The API refused the token: expired, or never valid (a bad signature, garbage), said as such.
  setOnUnauthorized((token) => endSession(tokenExpiry(token) > Date.now() ? REFUSED : EXPIRED));
  // The last thing the user did, a click away from what every part of the system did for it.
  setOnTraced(({ traceId, method, path, status }) => {
    lastTrace.innerHTML = `<a href="${escapeHtml(traceHref(traceId))}" data-trace-id="${escapeHtml(traceId)}">Trace of ${escapeHtml(method)} ${escapeHtml(path)}</a> <span class="muted">${status}</span>`;
    lastTrace.hidden = false;
  });
  window.addEventListener('hashchange', route);
  retryNow.addEventListener('click', () => gateway?.retryNow());
  await session();
}

void start();
