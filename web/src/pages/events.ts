// Events: publish one event and watch its trail fill in (SNS, Kafka, consumer B, consumer C).
import { api, ApiError, escapeHtml, showError } from '../api';
import type { Page } from '../page';

interface Trail {
  status: string;
  steps: { step: string; latencyMs: number }[];
  pending: string[];
  complete: boolean;
  temporalUi: string;
}

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
    <section class="card" aria-labelledby="trail-h"><h2 id="trail-h">Trail</h2><div id="trail" aria-live="polite">Publish an event to follow it.</div></section>`;
  const form = root.querySelector<HTMLFormElement>('#event-form')!;
  const trailEl = root.querySelector('#trail')!;
  let current: string | undefined;

  const render = async () => {
    if (!current) return;
    const t = await api<Trail>('GET', `/events/${current}`);
    trailEl.innerHTML = `<p>Status <strong id="event-status">${escapeHtml(t.status)}</strong> — <a href="${escapeHtml(t.temporalUi)}" target="_blank" rel="noopener">run</a></p>
      <ol class="timeline">${t.steps.map((s) => `<li data-step="${s.step}">${escapeHtml(s.step)} +${s.latencyMs} ms</li>`).join('')}</ol>
      <p>${t.pending.length ? `Pending: ${t.pending.map(escapeHtml).join(', ')}` : '<span id="trail-complete">Complete</span>'}</p>`;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    let payload: unknown;
    try {
      payload = JSON.parse(String(f.get('payload')));
    } catch {
      return showError(form, new ApiError(400, 'payload is not valid JSON', 'payload'));
    }
    api<{ eventId: string }>('POST', '/events', { type: String(f.get('type')), payload }).then(
      (r) => {
        showError(form, '');
        current = r.eventId;
        void render();
      },
      (err: unknown) => showError(form, err),
    );
  });
  // Each step the trail takes is pushed to the user's channel; the page re-reads the trail then.
  app.onEvent((e) => {
    if (e.event === 'event.trail' && (e.data as { eventId?: string }).eventId === current) void render();
  });
};
