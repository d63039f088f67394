// Notifications: the user's preferences (read, then saved only from their own form), scheduling a
// web notification, and every notification of theirs (scheduled, deferred, sent, cancelled, failed;
// filterable, paged) from the API, each with its own Cancel and Reschedule while pending. Times are
// shown and entered in the time zone saved in the preferences (the browser's until one is saved).
// The inbox: web notifications received, history from the API on load, then live (with a toast).
import { utcOffsetMinutes, zonedInstant } from '../../../domain/zoned-time';
import { api, ApiError, escapeHtml, showError, type Humanize } from '../api';
import { requestOrder } from '../freshness';
import type { AppContext, Page } from '../page';
import { clearErrorsOnInput, coalesce, describeError, setState } from '../ui';
import { traceLink } from './trace';

interface Preferences {
  timezone: string;
  channels: string[];
  quietHours: { start: string; end: string } | null;
  mutedUntil: string | null;
}
interface Notification {
  notificationId: string;
  channel: string;
  status: string;
  sendAt: string;
  reason?: string | null;
  sentAt?: string | null;
  title?: string;
  body?: string;
  /** The trace of the request that scheduled it. */
  traceId?: string | null;
}
const CHANNELS = ['web', 'email', 'sms', 'push'];
/** The statuses a user can filter by, as the API names them, with words for people. */
const STATUS_WORDS: Record<string, string> = {
  SCHEDULED: 'Scheduled',
  DEFERRED: 'Deferred',
  SENDING: 'Sending',
  SENT: 'Sent',
  CANCELLED: 'Cancelled',
  FAILED: 'Failed',
  SKIPPED: 'Skipped',
};
const PENDING = new Set(['SCHEDULED', 'DEFERRED']);
const PAGE_SIZE = 10;
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** `instant` as a datetime-local value (YYYY-MM-DDTHH:mm:ss) on the wall clock of `timeZone`. */
export const wallClock = (timeZone: string, instant: number): string =>
  new Date(Math.floor(instant / 1000) * 1000 + utcOffsetMinutes(timeZone, instant) * 60_000).toISOString().slice(0, 19);
/** A datetime-local value read on the wall clock of `timeZone`: the instant (NaN if it is no date-time). */
export function fromWallClock(timeZone: string, value: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return NaN;
  return zonedInstant(timeZone, m[1]!, Number(m[2]), Number(m[3])) + Number(m[4] ?? 0) * 1000;
}

export const notificationsPage: Page = (root, app: AppContext) => {
  let zone = browserZone;
  root.innerHTML = `<h1>Notifications</h1>
    <form id="prefs-form" class="card" novalidate aria-labelledby="prefs-h" aria-busy="true">
      <h2 id="prefs-h">Preferences</h2>
      <p id="prefs-state">Loading your preferences…</p>
      <fieldset><legend>Channels</legend>
        ${CHANNELS.map((c) => `<label><input type="checkbox" name="channels" value="${c}" /> ${c}</label>`).join(' ')}
      </fieldset>
      <span class="field-error" data-error-for="channels"></span>
      <label>Time zone <input name="timezone" value="${escapeHtml(browserZone)}" /></label>
      <span class="field-error" data-error-for="timezone"></span>
      <label>Quiet hours from <input name="quietStart" type="time" data-error-field="quietHours" /></label>
      <label>to <input name="quietEnd" type="time" data-error-field="quietHours" /></label>
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
      <label><span>Send at <span class="zone" id="send-zone"></span></span><input name="sendAt" type="datetime-local" step="1" /></label>
      <span class="field-error" data-error-for="sendAt"></span>
      <p id="web-hint" class="hint" hidden>You have not opted in to web notifications: this one will be skipped unless you tick “web” above and save.</p>
      <div><button type="submit">Schedule</button></div>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <section class="card" aria-labelledby="mine-h"><h2 id="mine-h">Your notifications</h2>
      <p id="notify-outcome" role="status"></p>
      <label class="inline">Show <select id="status-filter" name="statusFilter"><option value="">all</option>${Object.entries(STATUS_WORDS)
        .filter(([s]) => s !== 'SENDING')
        .map(([s, w]) => `<option value="${s}">${w.toLowerCase()}</option>`)
        .join('')}</select></label>
      <p id="mine-state" role="status">Loading your notifications…</p>
      <ul id="mine" class="list"></ul>
      <button type="button" id="more" class="link" hidden>Show more</button>
    </section>
    <section class="card" aria-labelledby="inbox-h"><h2 id="inbox-h">Inbox</h2><p id="inbox-state">Loading…</p><ul id="inbox" class="timeline" aria-live="polite"></ul></section>
    <div id="toast" role="alert" style="position:fixed;bottom:1rem;right:1rem"></div>`;
  const prefsForm = root.querySelector<HTMLFormElement>('#prefs-form')!;
  const prefsState = root.querySelector('#prefs-state')!;
  const form = root.querySelector<HTMLFormElement>('#notify-form')!;
  const sendAtInput = form.querySelector<HTMLInputElement>('input[name="sendAt"]')!;
  const mine = root.querySelector<HTMLElement>('#mine')!;
  const mineState = root.querySelector<HTMLElement>('#mine-state')!;
  const more = root.querySelector<HTMLButtonElement>('#more')!;
  const filter = root.querySelector<HTMLSelectElement>('#status-filter')!;
  const inbox = root.querySelector('#inbox')!;
  const inboxState = root.querySelector('#inbox-state')!;
  const outcomeEl = root.querySelector<HTMLElement>('#notify-outcome')!;
  const prefsUrl = `/users/${encodeURIComponent(app.userId)}/notification-preferences`;
  // What the server holds: fields this form does not edit (mutedUntil) are sent back unchanged.
  let saved: Preferences | undefined;
  clearErrorsOnInput(prefsForm);
  clearErrorsOnInput(form);
  /** The API's refusals in words. */
  const humanize: Humanize = (field, message) => {
    if (field === 'sendAt')
      return /past/.test(message)
        ? 'That time has passed: choose a time from now on.'
        : /year/.test(message)
          ? 'Choose a time within the next year.'
          : 'Enter the date and time to send it.';
    if (field === 'title') return 'Give the notification a title (up to 200 characters).';
    if (field === 'body') return 'Write the message (up to 4,000 characters).';
    if (field === 'timezone') return 'Enter a time zone such as America/Sao_Paulo or Europe/Lisbon.';
    if (field.startsWith('quietHours')) return 'Enter quiet hours as two times, from and to.';
    if (field === 'channels') return 'Choose the channels from the list.';
    return undefined;
  };

  /** Date and time in the user's zone, with the zone named when it is not the browser's. */
  const when = (iso: string) =>
    `${new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', timeZone: zone }).format(new Date(iso))}${zone === browserZone ? '' : ` (${zone})`}`;
  /** What the last action did, in words (announced: the region is a status); cleared when the next starts. */
  const outcome = (text: string) => (outcomeEl.textContent = text);
  const setZone = (z: string) => {
    const keep = sendAtInput.value ? fromWallClock(zone, sendAtInput.value) : Date.now() + 5_000;
    zone = z;
    root.querySelector('#send-zone')!.textContent = `(${zone})`;
    sendAtInput.value = wallClock(zone, Number.isNaN(keep) ? Date.now() + 5_000 : keep);
  };
  setZone(browserZone);

  const fillPrefs = (loaded: Preferences | undefined) => {
    // The database's TIME reads back as HH:MM:SS; the form and the PUT use HH:MM.
    const p = loaded && { ...loaded, quietHours: loaded.quietHours && { start: loaded.quietHours.start.slice(0, 5), end: loaded.quietHours.end.slice(0, 5) } };
    saved = p;
    for (const box of prefsForm.querySelectorAll<HTMLInputElement>('input[name="channels"]')) box.checked = !!p?.channels.includes(box.value);
    if (p) prefsForm.querySelector<HTMLInputElement>('[name="timezone"]')!.value = p.timezone;
    prefsForm.querySelector<HTMLInputElement>('[name="quietStart"]')!.value = p?.quietHours?.start ?? '';
    prefsForm.querySelector<HTMLInputElement>('[name="quietEnd"]')!.value = p?.quietHours?.end ?? '';
    prefsState.textContent = p
      ? `Saved: ${p.channels.length ? p.channels.join(', ') : 'no channels'}${p.quietHours ? `, quiet ${p.quietHours.start}–${p.quietHours.end}` : ''}, times in ${p.timezone}`
      : 'Not set yet: you receive nothing until you opt in to a channel.';
    root.querySelector<HTMLElement>('#web-hint')!.hidden = !!p?.channels.includes('web');
    prefsForm.setAttribute('aria-busy', 'false');
    if (p && p.timezone !== zone) {
      setZone(p.timezone);
      renderMine();
      retimeInbox();
    }
  };
  // A save sent while the first read is still out is newer than that read: the read's answer must
  // not put the old preferences back over the form. It keeps only what the form does not edit
  // (mutedUntil), for the next save to send back if this one fails.
  const prefsRequests = requestOrder();
  const isLatestRead = prefsRequests.next();
  const readBehindSave = (p: Preferences | undefined) => {
    if (!saved && p) {
      saved = p;
      prefsState.textContent = '';
    }
    prefsForm.setAttribute('aria-busy', 'false');
  };
  api<Preferences>('GET', prefsUrl).then(
    (p) => (isLatestRead() ? fillPrefs(p) : readBehindSave(p)),
    (err: unknown) => {
      if (!isLatestRead()) readBehindSave(undefined);
      else if (err instanceof ApiError && err.status === 404) fillPrefs(undefined);
      else {
        prefsState.textContent = '';
        showError(prefsForm, err);
      }
    },
  );
  prefsForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(prefsForm);
    const [start, end] = [String(f.get('quietStart') ?? ''), String(f.get('quietEnd') ?? '')];
    // Half a range is no range: said here rather than silently saved as "no quiet hours".
    if (!start !== !end) {
      showError(
        prefsForm,
        new ApiError(422, `Quiet hours need both ends: enter when they ${start ? 'end' : 'start'}, or clear both to have none.`, 'quietHours'),
      );
      prefsForm.querySelector<HTMLInputElement>(`[name="${start ? 'quietEnd' : 'quietStart'}"]`)!.focus();
      return;
    }
    const button = prefsForm.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    prefsRequests.next(); // the first read, if still out, is older than this save
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
        (err: unknown) => showError(prefsForm, err, humanize),
      )
      .finally(() => (button.disabled = false));
  });

  // The list: pages of the user's notifications, newest send time first, for the chosen status.
  let shown: Notification[] = [];
  let nextCursor: string | null = null;
  const statusText = (n: Notification) => {
    const word = STATUS_WORDS[n.status] ?? n.status;
    if (n.status === 'DEFERRED') return `${word} until ${when(n.sendAt)}`;
    if (n.status === 'SENT') return `${word} ${when(n.sentAt ?? n.sendAt)}`;
    if (n.status === 'SCHEDULED') return `${word} for ${when(n.sendAt)}`;
    return `${word}${n.reason ? `: ${n.reason}` : ''}`;
  };
  /** Until the first page has arrived there is nothing to say (not "none yet"). */
  let loaded = false;
  function renderMine(): void {
    if (!loaded) return;
    mine.innerHTML = shown
      .map((n) => {
        const pending = PENDING.has(n.status);
        return `<li data-notification-id="${escapeHtml(n.notificationId)}" data-status="${escapeHtml(n.status)}">
          <strong>${escapeHtml(n.title ?? n.notificationId)}</strong> <span class="muted">${escapeHtml(n.channel)}</span>${traceLink(n.traceId)}
          <div><span class="state" data-state="${escapeHtml(n.status)}">${escapeHtml(statusText(n))}</span></div>
          ${
            pending
              ? `<div class="actions"><label class="inline">New time <input type="datetime-local" step="1" name="newSendAt" value="${wallClock(zone, Math.max(Date.parse(n.sendAt), Date.now()) + 60_000)}" /></label>
                 <button type="button" data-action="reschedule">Reschedule</button> <button type="button" data-action="cancel">Cancel</button>
                 <span class="field-error" data-error-for="sendAt"></span></div>`
              : ''
          }</li>`;
      })
      .join('');
    if (shown.length) setState(mineState, 'ready');
    else setState(mineState, 'empty', filter.value ? `No ${STATUS_WORDS[filter.value]?.toLowerCase() ?? ''} notifications.` : 'None yet. Schedule one above.');
    more.hidden = !nextCursor;
    scheduleRefresh();
  }
  const query = (cursor: string | null) =>
    `/notifications?limit=${PAGE_SIZE}${filter.value ? `&status=${filter.value}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  /** Loads of the list: the latest wins, and a new filter supersedes every one under way. */
  const loads = requestOrder();
  /** The filter chosen: a next page asked for under another one belongs to another list. */
  const filters = requestOrder();
  /** Reloads the pages shown so far (as many rows as are shown, at least one page). */
  const loadMine = async () => {
    const isLatest = loads.next();
    const rows: Notification[] = [];
    let cursor: string | null = null;
    do {
      const page: { notifications: Notification[]; nextCursor: string | null } = await api('GET', query(cursor));
      rows.push(...page.notifications);
      cursor = page.nextCursor;
    } while (cursor && rows.length < shown.length);
    if (!isLatest()) return;
    loaded = true;
    shown = rows;
    nextCursor = cursor;
    renderMine();
  };
  const reloadMine = coalesce(
    () => void loadMine().catch((err: unknown) => setState(mineState, 'error', `Could not load your notifications: ${describeError(err)}`)),
  );
  const newFilter = () => {
    loads.next();
    filters.next();
  };
  filter.addEventListener('change', () => {
    newFilter();
    shown = [];
    mine.innerHTML = '';
    more.hidden = true;
    setState(mineState, 'loading', 'Loading…');
    reloadMine();
  });
  more.addEventListener('click', () => {
    if (!nextCursor) return;
    more.disabled = true;
    const isSameFilter = filters.current();
    api<{ notifications: Notification[]; nextCursor: string | null }>('GET', query(nextCursor))
      .then(
        (page) => {
          if (!isSameFilter()) return;
          shown = [...shown, ...page.notifications.filter((n) => !shown.some((s) => s.notificationId === n.notificationId))];
          nextCursor = page.nextCursor;
          renderMine();
        },
        (err: unknown) => isSameFilter() && outcome(`Could not load more: ${describeError(err)}`),
      )
      .finally(() => (more.disabled = false));
  });
  // States change at their time (sent, deferred by quiet hours, failed) without a push for each:
  // the list is read again just after the next pending one is due.
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  function scheduleRefresh(): void {
    clearTimeout(refreshTimer);
    const due = shown.filter((n) => PENDING.has(n.status)).map((n) => Date.parse(n.sendAt));
    if (!due.length) return;
    const wait = Math.min(...due) - Date.now() + 1_500;
    if (wait < 10 * 60_000) refreshTimer = setTimeout(() => root.isConnected && reloadMine(), Math.max(wait, 1_000));
  }
  mine.addEventListener('click', (ev) => {
    const button = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
    const li = button?.closest<HTMLElement>('li[data-notification-id]');
    if (!button || !li) return;
    const id = li.dataset.notificationId!;
    const buttons = [...li.querySelectorAll<HTMLButtonElement>('button')];
    outcome('');
    showError(li, '');
    let work: Promise<unknown>;
    if (button.dataset.action === 'cancel') {
      work = api<Notification>('DELETE', `/notifications/${encodeURIComponent(id)}`).then((r) =>
        outcome(r.status === 'CANCELLED' ? 'Cancelled: it will not be sent.' : `It is ${STATUS_WORDS[r.status]?.toLowerCase() ?? r.status} now.`),
      );
    } else {
      const at = fromWallClock(zone, li.querySelector<HTMLInputElement>('input[name="newSendAt"]')!.value);
      if (Number.isNaN(at)) {
        showError(li, new ApiError(422, 'Enter the new date and time.', 'sendAt'));
        return;
      }
      work = api<Notification>('PATCH', `/notifications/${encodeURIComponent(id)}`, { sendAt: new Date(at).toISOString() }).then((r) =>
        outcome(`Rescheduled: it will be sent ${when(r.sendAt)}.`),
      );
    }
    buttons.forEach((b) => (b.disabled = true));
    work
      .then(
        () => reloadMine(),
        (err: unknown) => {
          buttons.forEach((b) => (b.disabled = false));
          showError(li, err, humanize);
          outcome(`Could not ${button.dataset.action}: ${describeError(err)}`);
        },
      )
      .catch(() => undefined);
  });

  // The notification's id is this intent's idempotency key: kept when a failed Schedule is
  // clicked again, new once it succeeded or the form changed.
  let intentId: string | undefined;
  form.addEventListener('input', () => (intentId = undefined));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    outcome('');
    const f = new FormData(form);
    const at = fromWallClock(zone, String(f.get('sendAt')));
    if (Number.isNaN(at)) return showError(form, new ApiError(422, 'Enter the date and time to send it.', 'sendAt'));
    const notificationId = (intentId ??= `web-${crypto.randomUUID()}`);
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    submit.disabled = true;
    api<{ notificationId: string; status: string }>('POST', '/notifications', {
      notificationId,
      userId: app.userId,
      channel: 'web',
      sendAt: new Date(at).toISOString(),
      title: String(f.get('title')),
      body: String(f.get('body')),
    })
      .then(
        () => {
          intentId = undefined;
          showError(form, '');
          outcome(`Scheduled for ${when(new Date(at).toISOString())}.`);
          // Shown in the list whatever the filter was.
          if (filter.value && filter.value !== 'SCHEDULED') {
            filter.value = '';
            newFilter();
          }
          reloadMine();
        },
        (err: unknown) => showError(form, err, humanize),
      )
      .finally(() => (submit.disabled = false));
  });

  type Received = Pick<Notification, 'notificationId' | 'title' | 'body'> & { sendAt?: string };
  const seen = new Map<string, Received>();
  const inboxText = (n: Received) => `${n.title ?? ''} — ${n.body ?? ''}${n.sendAt ? ` (${when(n.sendAt)})` : ''}`;
  /** The inbox again in the user's zone (once the preferences say which). */
  const retimeInbox = () => {
    for (const li of inbox.querySelectorAll<HTMLElement>('li[data-notification-id]')) {
      const n = seen.get(li.dataset.notificationId!);
      if (n) li.textContent = inboxText(n);
    }
  };
  const addToInbox = (n: Received, live: boolean) => {
    if (seen.has(n.notificationId)) return;
    seen.set(n.notificationId, n);
    const li = document.createElement('li');
    li.dataset.notificationId = n.notificationId;
    li.textContent = inboxText(n);
    if (live) inbox.prepend(li);
    else inbox.append(li);
    inboxState.textContent = '';
  };
  // The history: what was sent while this page was closed (newest first), then live ones on top.
  const loadInbox = () =>
    api<{ notifications: Notification[] }>('GET', '/notifications?status=SENT&limit=50').then(
      ({ notifications }) => {
        notifications.filter((n) => n.channel === 'web').forEach((n) => addToInbox(n, false));
        if (!seen.size) inboxState.textContent = 'No notifications yet. Schedule one above: it appears here when it is sent.';
      },
      (err: unknown) => (inboxState.textContent = `Could not load the inbox: ${describeError(err)}`),
    );
  void loadInbox();
  reloadMine();
  // Sent while the gateway could not replay them: the history has them.
  app.onGap(() => {
    void loadInbox();
    reloadMine();
  });
  app.onEvent((e) => {
    if (e.event !== 'notification') return;
    const n = e.data as Notification;
    addToInbox({ ...n, sendAt: n.sendAt ?? new Date().toISOString() }, true);
    const toast = root.querySelector<HTMLElement>('#toast')!;
    toast.innerHTML = `<div class="card">${escapeHtml(n.title ?? 'Notification')}: ${escapeHtml(n.body ?? '')}</div>`;
    setTimeout(() => (toast.innerHTML = ''), 4_000);
    reloadMine();
  });
};
