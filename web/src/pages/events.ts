// Events: publish one event and watch its trail fill in (SNS, Kafka, consumer B, consumer C); the
// user's events from the API on load, each one's trail a click away, kept current by the pushes.
import { api, ApiError, escapeHtml, showError, type Humanize } from '../api';
import { isOlderProgress, laterStatus, latestOnly } from '../freshness';
import type { Page } from '../page';
import { clearErrorsOnInput, coalesce, describeError, failedTo, formatDateTime, setState, whileBusy } from '../ui';
import { traceLink } from './trace';

interface Trail {
  status: string;
  steps: { step: string; latencyMs: number }[];
  pending: string[];
  complete: boolean;
  temporalUi: string;
  traceId: string | null;
}
interface Listed {
  eventId: string;
  type: string;
  status: string;
  acceptedAt: string;
  traceId: string | null;
}

/** Each step of the trail in words (the API's names are for machines). */
const STEPS: Record<string, string> = {
  accepted: 'Accepted',
  published_sns: 'Published to SNS',
  published_kafka: 'Published to Kafka',
  stored_b: 'Stored by service B',
  stored_c: 'Stored by service C',
};
const stepLabel = (step: string) => STEPS[step] ?? step.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
// An event is ACCEPTED until its run ends it, once, COMPLETED or INCOMPLETE (so the order of those
// two never decides anything).
const STATUS_ORDER = ['ACCEPTED', 'INCOMPLETE', 'COMPLETED'];
const formatMs = (ms: number) => (ms < 1000 ? `${ms} ms` : `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(ms / 1000)} s`);

export const eventsPage: Page = (root, app) => {
  root.innerHTML = `<h1>Events</h1>
    <form id="event-form" class="card" novalidate>
      <label>Type <input name="type" value="order.created" /></label>
      <span class="field-error" data-error-for="type"></span>
      <label>Payload (JSON object) <textarea name="payload" rows="3">{"orderId": 1}</textarea></label>
      <span class="field-error" data-error-for="payload"></span>
      <button type="submit">Publish</button>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <section class="card" aria-labelledby="trail-h"><h2 id="trail-h">Trail</h2><div id="trail" aria-live="polite">Publish an event, or choose one of yours below, to follow it.</div></section>
    <section class="card" aria-labelledby="events-h"><h2 id="events-h">Your events</h2>
      <p id="events-state" role="status">Loading your events…</p><ul id="event-history" class="list"></ul></section>`;
  const form = root.querySelector<HTMLFormElement>('#event-form')!;
  clearErrorsOnInput(form);
  const humanize: Humanize = (field) =>
    field === 'type'
      ? 'Name the event type with letters, digits and . _ : - (up to 100), starting with a letter or digit, like order.created.'
      : field === 'payload' || field.startsWith('payload.')
        ? 'The payload must be a JSON object (at most 64 KB), like {"orderId": 1}.'
        : undefined;
  const trailEl = root.querySelector('#trail')!;
  const historyEl = root.querySelector('#event-history')!;
  const historyState = root.querySelector<HTMLElement>('#events-state')!;
  let current: string | undefined;
  /** The trail last shown: two reads of it can answer out of order, and the older must not replace it. */
  let shownTrail: { eventId: string; trail: Trail } | undefined;
  const showStatus = (li: HTMLElement, status: string) => {
    li.dataset.status = laterStatus(STATUS_ORDER, li.dataset.status, status);
    li.querySelector('.status')!.textContent = li.dataset.status;
  };

  const render = async () => {
    const eventId = current;
    if (!eventId) return;
    let t: Trail;
    try {
      t = await api<Trail>('GET', `/events/${eventId}`);
    } catch (err) {
      trailEl.textContent = `Could not load the trail: ${describeError(err)}`;
      return;
    }
    if (eventId !== current) return;
    if (shownTrail?.eventId === eventId && isOlderProgress(STATUS_ORDER, shownTrail.trail, t)) return;
    shownTrail = { eventId, trail: t };
    trailEl.innerHTML = `<p>Event <code>${escapeHtml(eventId)}</code>: <strong id="event-status">${escapeHtml(t.status)}</strong> — <a href="${escapeHtml(t.temporalUi)}" target="_blank" rel="noopener">run</a>${t.traceId ? ` — ${traceLink(t.traceId, 'trace')}` : ''}</p>
      <ol class="timeline">${[...t.steps]
        .sort((a, b) => a.latencyMs - b.latencyMs)
        .map(
          (s) =>
            `<li data-step="${escapeHtml(s.step)}" data-latency-ms="${s.latencyMs}">${escapeHtml(stepLabel(s.step))} <span class="muted">after ${formatMs(s.latencyMs)}</span></li>`,
        )
        .join('')}</ol>
      <p>${t.pending.length ? `Waiting for: ${t.pending.map((p) => escapeHtml(stepLabel(p))).join(', ')}` : '<span id="trail-complete">Complete</span>'}</p>`;
    const li = historyEl.querySelector<HTMLElement>(`li[data-event-id="${CSS.escape(eventId)}"]`);
    if (li) showStatus(li, t.status);
  };
  const follow = (eventId: string) => {
    current = eventId;
    trailEl.textContent = 'Loading the trail…';
    void render();
  };
  const listEvents = latestOnly(() => api<{ events: Listed[] }>('GET', '/events?limit=20'));
  const loadHistory = async () => {
    const { events } = await listEvents();
    // The list can have been read before a trail (shown, or not yet in the list) moved its event on.
    const shown = new Map([...historyEl.querySelectorAll<HTMLElement>('li[data-event-id]')].map((li) => [li.dataset.eventId!, li.dataset.status]));
    if (shownTrail) shown.set(shownTrail.eventId, laterStatus(STATUS_ORDER, shown.get(shownTrail.eventId), shownTrail.trail.status));
    historyEl.innerHTML = events
      .map((e) => ({ ...e, status: laterStatus(STATUS_ORDER, shown.get(e.eventId), e.status) }))
      .map(
        (e) =>
          `<li data-event-id="${escapeHtml(e.eventId)}" data-status="${escapeHtml(e.status)}"><button type="button" class="link" data-follow="${escapeHtml(e.eventId)}">${escapeHtml(e.type)}</button>
            — <span class="status">${escapeHtml(e.status)}</span> <time datetime="${escapeHtml(e.acceptedAt)}">${formatDateTime(e.acceptedAt)}</time>${traceLink(e.traceId)}</li>`,
      )
      .join('');
    for (const b of historyEl.querySelectorAll<HTMLButtonElement>('button[data-follow]')) b.addEventListener('click', () => follow(b.dataset.follow!));
    if (events.length) setState(historyState, 'ready');
    else setState(historyState, 'empty', 'No events yet. Publish one above: it appears here.');
  };
  const reloadHistory = coalesce(() => void loadHistory().catch(failedTo(historyState, 'load your events')));
  reloadHistory();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    let payload: unknown;
    try {
      payload = JSON.parse(String(f.get('payload')));
    } catch {
      return showError(form, new ApiError(400, 'The payload is not valid JSON: write an object, like {"orderId": 1}.', 'payload'));
    }
    void whileBusy(
      [form.querySelector<HTMLButtonElement>('button[type="submit"]')!],
      api<{ eventId: string }>('POST', '/events', { type: String(f.get('type')), payload }).then(
        (r) => {
          showError(form, '');
          follow(r.eventId);
          reloadHistory();
        },
        (err: unknown) => showError(form, err, humanize),
      ),
      form,
    );
  });
  // Each step the trail takes is pushed to the user's channel; the page re-reads the trail then.
  app.onEvent((e) => {
    if (e.event !== 'event.trail') return;
    const { eventId } = e.data as { eventId?: string };
    if (eventId === current)
      void render(); // updates its line in the list too
    else reloadHistory(); // another event's status moved on, or one published elsewhere
  });
  app.onGap(() => {
    reloadHistory();
    void render();
  });
};
