// Notifications: the user's preferences (read, then saved only from their own form), schedule one
// (web), reschedule or cancel it while pending, and the inbox: history from the API on load, then
// web notifications arriving live on the user's channel (with a toast).
import { api, ApiError, escapeHtml, showError } from '../api';
import type { AppContext, Page } from '../page';
import { describeError } from '../ui';

interface Scheduled {
  notificationId: string;
  status: string;
}
interface Preferences {
  timezone: string;
  channels: string[];
  quietHours: { start: string; end: string } | null;
  mutedUntil: string | null;
}
interface Sent {
  notificationId: string;
  channel: string;
  title?: string;
  body?: string;
  sendAt?: string;
}
const CHANNELS = ['web', 'email', 'sms', 'push'];

export const notificationsPage: Page = (root, app: AppContext) => {
  const inAMoment = new Date(Date.now() + 5_000);
  const local = new Date(inAMoment.getTime() - inAMoment.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  root.innerHTML = `<h1>Notifications</h1>
    <form id="prefs-form" class="card" novalidate aria-labelledby="prefs-h" aria-busy="true">
      <h2 id="prefs-h">Preferences</h2>
      <p id="prefs-state">Loading your preferences…</p>
      <fieldset><legend>Channels</legend>
        ${CHANNELS.map((c) => `<label><input type="checkbox" name="channels" value="${c}" /> ${c}</label>`).join(' ')}
      </fieldset>
      <span class="field-error" data-error-for="channels"></span>
      <label>Time zone <input name="timezone" value="${escapeHtml(Intl.DateTimeFormat().resolvedOptions().timeZone)}" /></label>
      <span class="field-error" data-error-for="timezone"></span>
      <label>Quiet hours from <input name="quietStart" type="time" /></label>
      <label>to <input name="quietEnd" type="time" /></label>
      <span class="field-error" data-error-for="quietHours"></span>
      <div><button type="submit">Save preferences</button></div>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <form id="notify-form" class="card" novalidate>
      <h2>Schedule</h2>
      <label>Title <input name="title" value="Hello" /></label>
      <span class="field-error" data-error-for="title"></span>
      <label>Message <input name="body" value="Your order shipped" /></label>
      <span class="field-error" data-error-for="body"></span>
      <label>Send at <input name="sendAt" type="datetime-local" step="1" value="${local}" /></label>
      <span class="field-error" data-error-for="sendAt"></span>
      <p id="web-hint" class="hint" hidden>You have not opted in to web notifications: this one will be skipped unless you tick “web” above and save.</p>
      <div><button type="submit">Schedule</button> <button type="button" id="reschedule" disabled>Reschedule (+1 min)</button> <button type="button" id="cancel" disabled>Cancel</button></div>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <section class="card" aria-labelledby="st-h"><h2 id="st-h">Last scheduled</h2><p id="notify-status">none yet</p><p id="notify-outcome" role="status"></p></section>
    <section class="card" aria-labelledby="inbox-h"><h2 id="inbox-h">Inbox</h2><p id="inbox-state">Loading…</p><ul id="inbox" class="timeline" aria-live="polite"></ul></section>
    <div id="toast" role="alert" style="position:fixed;bottom:1rem;right:1rem"></div>`;
  const prefsForm = root.querySelector<HTMLFormElement>('#prefs-form')!;
  const prefsState = root.querySelector('#prefs-state')!;
  const form = root.querySelector<HTMLFormElement>('#notify-form')!;
  const status = root.querySelector('#notify-status')!;
  const inbox = root.querySelector('#inbox')!;
  const inboxState = root.querySelector('#inbox-state')!;
  const reschedule = root.querySelector<HTMLButtonElement>('#reschedule')!;
  const cancel = root.querySelector<HTMLButtonElement>('#cancel')!;
  const prefsUrl = `/users/${encodeURIComponent(app.userId)}/notification-preferences`;
  let current: Scheduled | undefined;
  let sendAt = 0;
  // What the server holds: fields this form does not edit (mutedUntil) are sent back unchanged.
  let saved: Preferences | undefined;

  const fillPrefs = (loaded: Preferences | undefined) => {
    // The database's TIME reads back as HH:MM:SS; the form and the PUT use HH:MM.
    const p = loaded && { ...loaded, quietHours: loaded.quietHours && { start: loaded.quietHours.start.slice(0, 5), end: loaded.quietHours.end.slice(0, 5) } };
    saved = p;
    for (const box of prefsForm.querySelectorAll<HTMLInputElement>('input[name="channels"]')) box.checked = !!p?.channels.includes(box.value);
    if (p) prefsForm.querySelector<HTMLInputElement>('[name="timezone"]')!.value = p.timezone;
    prefsForm.querySelector<HTMLInputElement>('[name="quietStart"]')!.value = p?.quietHours?.start ?? '';
    prefsForm.querySelector<HTMLInputElement>('[name="quietEnd"]')!.value = p?.quietHours?.end ?? '';
    prefsState.textContent = p
      ? `Saved: ${p.channels.length ? p.channels.join(', ') : 'no channels'}${p.quietHours ? `, quiet ${p.quietHours.start}–${p.quietHours.end}` : ''}`
      : 'Not set yet: you receive nothing until you opt in to a channel.';
    root.querySelector<HTMLElement>('#web-hint')!.hidden = !!p?.channels.includes('web');
    prefsForm.setAttribute('aria-busy', 'false');
  };
  api<Preferences>('GET', prefsUrl).then(fillPrefs, (err: unknown) => {
    if (err instanceof ApiError && err.status === 404) fillPrefs(undefined);
    else {
      prefsState.textContent = '';
      showError(prefsForm, err);
    }
  });
  prefsForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(prefsForm);
    const [start, end] = [String(f.get('quietStart') ?? ''), String(f.get('quietEnd') ?? '')];
    const button = prefsForm.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    api<Preferences>('PUT', prefsUrl, {
      timezone: String(f.get('timezone')),
      channels: f.getAll('channels').map(String),
      quietHours: start && end ? { start, end } : null,
      mutedUntil: saved?.mutedUntil ?? null,
    })
      .then(
        (p) => {
          showError(prefsForm, '');
          fillPrefs(p);
        },
        (err: unknown) => showError(prefsForm, err),
      )
      .finally(() => (button.disabled = false));
  });

  const outcomeEl = root.querySelector<HTMLElement>('#notify-outcome')!;
  /** What the last Reschedule or Cancel did, in words (announced: the region is a status). */
  const outcome = (text: string) => (outcomeEl.textContent = text);
  const show = (s: { notificationId: string; status: string; sendAt?: string }) => {
    current = { notificationId: s.notificationId, status: s.status };
    status.innerHTML = `<code>${escapeHtml(s.notificationId)}</code>: <strong id="notify-state">${escapeHtml(s.status)}</strong>${s.sendAt ? ` at ${new Date(s.sendAt).toLocaleTimeString()}` : ''}`;
    reschedule.disabled = cancel.disabled = s.status !== 'SCHEDULED';
  };
  /** One request at a time from this form: its buttons are off while it is in flight. */
  const busy = <T>(p: Promise<T>): Promise<T> => {
    form.querySelectorAll<HTMLButtonElement>('button').forEach((b) => (b.disabled = true));
    return p.finally(() => {
      form.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled = false;
      reschedule.disabled = cancel.disabled = current?.status !== 'SCHEDULED';
    });
  };
  // The notification's id is this intent's idempotency key: kept when a failed Schedule is
  // clicked again, new once it succeeded or the form changed.
  let intentId: string | undefined;
  form.addEventListener('input', () => (intentId = undefined));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const notificationId = (intentId ??= `web-${crypto.randomUUID()}`);
    sendAt = new Date(String(f.get('sendAt'))).getTime();
    void busy(
      api<Scheduled>('POST', '/notifications', {
        notificationId,
        userId: app.userId,
        channel: 'web',
        sendAt: Number.isNaN(sendAt) ? 'invalid' : new Date(sendAt).toISOString(),
        title: String(f.get('title')),
        body: String(f.get('body')),
      }).then(
        (r) => {
          intentId = undefined;
          showError(form, '');
          show({ ...r, sendAt: new Date(sendAt).toISOString() });
        },
        (err: unknown) => showError(form, err),
      ),
    );
  });
  reschedule.addEventListener('click', () => {
    if (!current) return;
    const next = sendAt + 60_000;
    void busy(
      api<{ notificationId: string; status: string; sendAt: string }>('PATCH', `/notifications/${current.notificationId}`, {
        sendAt: new Date(next).toISOString(),
      }).then(
        (r) => {
          sendAt = next;
          showError(form, '');
          show(r);
          outcome(`Rescheduled: it will be sent at ${new Date(r.sendAt).toLocaleTimeString()}.`);
        },
        (err: unknown) => {
          showError(form, err);
          outcome(`Could not reschedule: ${describeError(err)}`);
        },
      ),
    );
  });
  cancel.addEventListener('click', () => {
    if (!current) return;
    void busy(
      api<{ notificationId: string; status: string }>('DELETE', `/notifications/${current.notificationId}`).then(
        (r) => {
          showError(form, '');
          show(r);
          outcome(r.status === 'CANCELLED' ? 'Cancelled: it will not be sent.' : `It is ${r.status} now.`);
        },
        (err: unknown) => {
          showError(form, err);
          outcome(`Could not cancel: ${describeError(err)}`);
        },
      ),
    );
  });

  const seen = new Set<string>();
  const addToInbox = (n: Sent, live: boolean) => {
    if (seen.has(n.notificationId)) return;
    seen.add(n.notificationId);
    const li = document.createElement('li');
    li.dataset.notificationId = n.notificationId;
    li.textContent = `${n.title ?? ''} — ${n.body ?? ''}${n.sendAt ? ` (${new Date(n.sendAt).toLocaleString()})` : ''}`;
    if (live) inbox.prepend(li);
    else inbox.append(li);
    inboxState.textContent = '';
  };
  // The history: what was sent while this page was closed (newest first), then live ones on top.
  const loadInbox = () =>
    api<{ notifications: Sent[] }>('GET', '/notifications?status=SENT&limit=50').then(
      ({ notifications }) => {
        notifications.filter((n) => n.channel === 'web').forEach((n) => addToInbox(n, false));
        if (!seen.size) inboxState.textContent = 'No notifications yet. Schedule one above: it appears here when it is sent.';
      },
      (err: unknown) => (inboxState.textContent = `Could not load the inbox: ${describeError(err)}`),
    );
  void loadInbox();
  // Sent while the gateway could not replay them: the history has them.
  app.onGap(() => void loadInbox());
  app.onEvent((e) => {
    if (e.event !== 'notification') return;
    const n = e.data as Sent;
    addToInbox({ ...n, sendAt: n.sendAt ?? new Date().toISOString() }, true);
    const toast = root.querySelector<HTMLElement>('#toast')!;
    toast.innerHTML = `<div class="card">${escapeHtml(n.title ?? 'Notification')}: ${escapeHtml(n.body ?? '')}</div>`;
    setTimeout(() => (toast.innerHTML = ''), 4_000);
    if (current?.notificationId === n.notificationId) show({ notificationId: n.notificationId, status: 'SENT' });
  });
};
