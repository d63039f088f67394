// The web app's shell: demo sign-in, the gateway connection (with its state shown), and a page
// per journey chosen by the URL hash.
import { GatewayClient, type ClientEvents } from '../../gateway/client';
import { api, setToken, showError } from './api';
import type { AppContext, Page } from './page';
import { chatPage } from './pages/chat';
import { eventsPage } from './pages/events';
import { ledgerPage } from './pages/ledger';
import { notificationsPage } from './pages/notifications';
import { purchasePage } from './pages/purchase';

const PAGES: Record<string, Page> = { purchase: purchasePage, events: eventsPage, ledger: ledgerPage, notifications: notificationsPage, chat: chatPage };

const main = document.getElementById('page')!;
const indicator = document.getElementById('connection')!;

async function signIn(): Promise<{ userId: string; token: string }> {
  const saved = sessionStorage.getItem('tidings.session');
  if (saved) return JSON.parse(saved) as { userId: string; token: string };
  main.innerHTML = `<h1>Sign in</h1>
    <form id="signin" class="card">
      <label>Demo user <input name="userId" required autocomplete="username" value="demo-${Math.floor(Math.random() * 1000)}" /></label>
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
          sessionStorage.setItem('tidings.session', JSON.stringify({ userId, token }));
          resolve({ userId, token });
        },
        (err: unknown) => showError(form, err),
      );
    });
  });
}

function showConnection(s: ClientEvents['state']): void {
  indicator.dataset.state = s.state;
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

async function start(): Promise<void> {
  const config = await api<AppContext['config']>('GET', '/config.json');
  const { userId, token } = await signIn();
  setToken(token);
  const gateway = new GatewayClient({ url: config.gatewayUrl, getToken: () => token });
  gateway.on('state', showConnection);
  let listeners: ((e: ClientEvents['event']) => void)[] = [];
  gateway.on('event', (e) => listeners.forEach((l) => l(e)));
  gateway.connect();
  const app: AppContext = { userId, gateway, config, onEvent: (l) => void listeners.push(l) };

  const route = () => {
    const name = location.hash.replace(/^#\//, '') || 'purchase';
    listeners = [];
    for (const a of document.querySelectorAll('nav a')) a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${name}`);
    document.querySelector('nav a[aria-current]')?.setAttribute('aria-current', 'page');
    (PAGES[name] ?? purchasePage)(main, app);
    main.focus();
  };
  window.addEventListener('hashchange', route);
  route();
}

void start();
