// Purchase: simulate (sync quote), contract (async), and the run's status timeline, live.
import { api, ApiError, escapeHtml, showError } from '../api';
import type { Page } from '../page';

const money = (cents: number, currency: string) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

export const purchasePage: Page = (root, app) => {
  root.innerHTML = `<h1>Purchase</h1>
    <form id="purchase-form" class="card" novalidate>
      <label>Product
        <select name="productId">
          <option value="phone-x">Phone X</option>
          <option value="insurance-home">Home insurance</option>
          <option value="loan-personal">Personal loan</option>
          <option value="gift-card-100">Gift card 100</option>
        </select></label>
      <span class="field-error" data-error-for="productId"></span>
      <label>Quantity <input name="quantity" type="number" min="1" value="1" inputmode="numeric" /></label>
      <span class="field-error" data-error-for="quantity"></span>
      <label>Installments <input name="installments" type="number" min="1" value="1" inputmode="numeric" /></label>
      <span class="field-error" data-error-for="installments"></span>
      <div><button type="button" id="simulate">Simulate</button> <button type="submit">Contract</button></div>
      <span class="field-error" data-error-for="form"></span>
      <div id="purchase-retry-box" role="alert" hidden><span id="purchase-retry-text"></span> <button type="button" id="purchase-retry">Retry</button></div>
    </form>
    <section class="card" aria-labelledby="quote-h"><h2 id="quote-h">Quote</h2><p id="quote">Simulate to see the price.</p></section>
    <section class="card" aria-labelledby="timeline-h"><h2 id="timeline-h">Status</h2>
      <p id="purchase-link"></p><ol id="timeline" class="timeline" aria-live="polite"></ol></section>`;
  const form = root.querySelector<HTMLFormElement>('#purchase-form')!;
  const body = () => {
    const f = new FormData(form);
    return { productId: String(f.get('productId')), quantity: Number(f.get('quantity')), installments: Number(f.get('installments')) };
  };
  let current: string | undefined;
  const timeline = root.querySelector('#timeline')!;

  root.querySelector('#simulate')!.addEventListener('click', () => {
    api<{ installments: number; installmentCents: number; totalCents: number; feesCents: number; currency: string }>(
      'POST',
      '/purchases/simulate',
      body(),
    ).then(
      (q) => {
        showError(form, '');
        root.querySelector('#quote')!.textContent =
          `${q.installments} × ${money(q.installmentCents, q.currency)} = ${money(q.totalCents, q.currency)} (fees ${money(q.feesCents, q.currency)})`;
      },
      (err: unknown) => showError(form, err),
    );
  });
  // One Idempotency-Key per intent: made on the first Contract of these terms, kept for every retry
  // of it (the Retry button, a double click), dropped once it succeeded or the terms change.
  let intentKey: string | undefined;
  let inFlight = false;
  const contractButtons = () => [...root.querySelectorAll<HTMLButtonElement>('#purchase-form button[type="submit"], #purchase-retry')];
  const retryBox = root.querySelector<HTMLElement>('#purchase-retry-box')!;
  form.addEventListener('input', () => {
    if (!inFlight) intentKey = undefined;
    retryBox.hidden = true;
  });
  const contract = () => {
    if (inFlight) return;
    inFlight = true;
    intentKey ??= crypto.randomUUID();
    contractButtons().forEach((b) => (b.disabled = true));
    form.setAttribute('aria-busy', 'true');
    retryBox.hidden = true;
    api<{ purchaseId: string; temporalUi: string }>('POST', '/purchases', body(), { 'idempotency-key': intentKey })
      .then(
        (p) => {
          intentKey = undefined;
          showError(form, '');
          current = p.purchaseId;
          timeline.innerHTML = '';
          root.querySelector('#purchase-link')!.innerHTML =
            `Purchase <code>${escapeHtml(p.purchaseId)}</code> — <a href="${escapeHtml(p.temporalUi)}" target="_blank" rel="noopener">run in the Temporal Web UI</a>`;
        },
        (err: unknown) => {
          // Unavailable or unreachable: the same intent may be retried safely, with the same key.
          const retryable = !(err instanceof ApiError) || err.status >= 500;
          if (retryable) {
            showError(form, '');
            root.querySelector('#purchase-retry-text')!.textContent =
              err instanceof ApiError && err.status === 503
                ? 'The purchase service is busy right now. Your purchase was not lost: retry, and it is made at most once.'
                : 'Could not reach the server. Check your connection and retry: the purchase is made at most once.';
            retryBox.hidden = false;
            root.querySelector<HTMLButtonElement>('#purchase-retry')!.focus();
          } else {
            intentKey = undefined;
            showError(form, err);
          }
        },
      )
      .finally(() => {
        inFlight = false;
        form.setAttribute('aria-busy', 'false');
        contractButtons().forEach((b) => (b.disabled = false));
      });
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    contract();
  });
  root.querySelector('#purchase-retry')!.addEventListener('click', contract);
  app.onEvent((e) => {
    const data = e.data as { purchaseId?: string; status?: string; detail?: string | null; at?: string };
    if (e.event !== 'purchase.status' || data.purchaseId !== current) return;
    const li = document.createElement('li');
    li.dataset.status = data.status;
    li.textContent = `${data.status}${data.detail ? ` — ${data.detail}` : ''} (${new Date(data.at ?? Date.now()).toLocaleTimeString()})`;
    timeline.append(li);
  });
};
