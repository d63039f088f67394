// Notifications: opt in, schedule one (web), reschedule or cancel it while pending, and a live
// inbox: web notifications arrive on the user's channel and pop up as a toast.
import { api, escapeHtml, showError } from '../api';
import type { AppContext, Page } from '../page';

interface Scheduled {
  notificationId: string;
  status: string;
}

export const notificationsPage: Page = (root, app: AppContext) => {
  const inAMoment = new Date(Date.now() + 5_000);
  const local = new Date(inAMoment.getTime() - inAMoment.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  root.innerHTML = `<h1>Notifications</h1>
    <form id="notify-form" class="card" novalidate>
      <label>Title <input name="title" value="Hello" /></label>
      <span class="field-error" data-error-for="title"></span>
      <label>Message <input name="body" value="Your order shipped" /></label>
      <span class="field-error" data-error-for="body"></span>
      <label>Send at <input name="sendAt" type="datetime-local" step="1" value="${local}" /></label>
      <span class="field-error" data-error-for="sendAt"></span>
      <div><button type="submit">Schedule</button> <button type="button" id="reschedule">Reschedule (+1 min)</button> <button type="button" id="cancel">Cancel</button></div>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <section class="card" aria-labelledby="st-h"><h2 id="st-h">Last scheduled</h2><p id="notify-status">none yet</p></section>
    <section class="card" aria-labelledby="inbox-h"><h2 id="inbox-h">Inbox</h2><ul id="inbox" class="timeline" aria-live="polite"></ul></section>
    <div id="toast" role="alert" style="position:fixed;bottom:1rem;right:1rem"></div>`;
  const form = root.querySelector<HTMLFormElement>('#notify-form')!;
  const status = root.querySelector('#notify-status')!;
  let current: Scheduled | undefined;
  let sendAt = 0;

  const show = (s: { notificationId: string; status: string; sendAt?: string }) => {
    current = { notificationId: s.notificationId, status: s.status };
    status.innerHTML = `<code>${escapeHtml(s.notificationId)}</code>: <strong id="notify-state">${escapeHtml(s.status)}</strong>${s.sendAt ? ` at ${new Date(s.sendAt).toLocaleTimeString()}` : ''}`;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    sendAt = new Date(String(f.get('sendAt'))).getTime();
    const notificationId = `web-${crypto.randomUUID()}`;
    // Opting in first keeps the demo one click; a real app has a preferences screen.
    api('PUT', `/users/${encodeURIComponent(app.userId)}/notification-preferences`, {
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      channels: ['web'],
    })
      .then(() =>
        api<Scheduled>('POST', '/notifications', {
          notificationId,
          userId: app.userId,
          channel: 'web',
          sendAt: Number.isNaN(sendAt) ? 'invalid' : new Date(sendAt).toISOString(),
          title: String(f.get('title')),
          body: String(f.get('body')),
        }),
      )
      .then(
        (r) => {
          showError(form, '');
          show({ ...r, sendAt: new Date(sendAt).toISOString() });
        },
        (err: unknown) => showError(form, err),
      );
  });
  root.querySelector('#reschedule')!.addEventListener('click', () => {
    if (!current) return;
    sendAt += 60_000;
    api<{ notificationId: string; status: string; sendAt: string }>('PATCH', `/notifications/${current.notificationId}`, {
      sendAt: new Date(sendAt).toISOString(),
    }).then(show, (err: unknown) => showError(form, err));
  });
  root.querySelector('#cancel')!.addEventListener('click', () => {
    if (!current) return;
    api<{ notificationId: string; status: string }>('DELETE', `/notifications/${current.notificationId}`).then(show, (err: unknown) => showError(form, err));
  });
  app.onEvent((e) => {
    if (e.event !== 'notification') return;
    const n = e.data as { notificationId: string; title?: string; body?: string };
    const li = document.createElement('li');
    li.dataset.notificationId = n.notificationId;
    li.textContent = `${n.title ?? ''} — ${n.body ?? ''}`;
    root.querySelector('#inbox')!.prepend(li);
    const toast = root.querySelector<HTMLElement>('#toast')!;
    toast.innerHTML = `<div class="card">${escapeHtml(n.title ?? 'Notification')}: ${escapeHtml(n.body ?? '')}</div>`;
    setTimeout(() => (toast.innerHTML = ''), 4_000);
    if (current?.notificationId === n.notificationId) show({ notificationId: n.notificationId, status: 'SENT' });
  });
};
