// Purchase: simulate (sync quote), contract (async), the user's purchases from the API on load,
// the chosen purchase's whole timeline (RECEIVED first) kept current by the pushes on the user's
// channel, and cancel while it is still open.
import { api, ApiError, escapeHtml, showError, type Humanize } from '../api';
import { laterStatus, latestOnly } from '../freshness';
import type { Page } from '../page';
import { clearErrorsOnInput, coalesce, describeError, failedTo, formatDateTime, formatMoney, formatTime, setState, whileBusy } from '../ui';
import { traceLink } from './trace';

interface Hop {
  status: string;
  at: string;
  detail: string | null;
}
interface Summary {
  purchaseId: string;
  productId: string;
  quantity: number;
  totalCents: number;
  status: string;
  createdAt: string;
  /** The trace of the request that accepted it (null: untraced). */
  traceId: string | null;
}
interface Detail extends Summary {
  currency: string;
  timeline: Hop[];
  temporalUi: string;
}

// The order a purchase moves in: hops with the same timestamp are shown in this order.
const ORDER = ['RECEIVED', 'PENDING', 'PROCESSING', 'COMPLETED', 'REJECTED', 'EXPIRED', 'CANCELLED'];
const CANCELLABLE = new Set(['RECEIVED', 'PENDING']);
const PRODUCTS: Record<string, string> = {
  'phone-x': 'Phone X',
  'insurance-home': 'Home insurance',
  'loan-personal': 'Personal loan',
  'gift-card-100': 'Gift card 100',
};
const money = (cents: number, currency: string) => formatMoney(cents / 100, currency);
interface Product {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  maxInstallments: number;
  minAmountCents: number;
  maxAmountCents: number;
}
/**
 * What the customer is told about a hop: a rejection's reason is the risk engine's, not theirs to
 * read (it may name rules and scores), so it is said the same safe way whatever it was.
 */
const customerDetail = (status: string, detail: string | null): string | null =>
  status === 'REJECTED' ? 'We could not approve this purchase. You have not been charged.' : detail;

export const purchasePage: Page = (root, app) => {
  root.innerHTML = `<h1>Purchase</h1>
    <form id="purchase-form" class="card" novalidate>
      <label>Product
        <select name="productId">
          ${Object.entries(PRODUCTS)
            .map(([id, name]) => `<option value="${id}">${name}</option>`)
            .join('')}
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
      <p id="purchase-link">Contract a purchase, or choose one of yours below, to follow it here.</p>
      <ol id="timeline" class="timeline" aria-live="polite"></ol>
      <div><button type="button" id="cancel-purchase" hidden>Cancel this purchase</button></div>
      <p id="cancel-outcome" role="status"></p></section>
    <section class="card" aria-labelledby="history-h"><h2 id="history-h">Your purchases</h2>
      <p id="history-state" role="status">Loading your purchases…</p><ul id="history" class="list"></ul></section>`;
  const form = root.querySelector<HTMLFormElement>('#purchase-form')!;
  clearErrorsOnInput(form);
  const productSelect = form.querySelector<HTMLSelectElement>('select[name="productId"]')!;
  /** The catalogue (prices, limits) once loaded: the picker shows prices, errors speak in money. */
  const catalogue = new Map<string, Product>();
  const showPrices = () => {
    const chosen = productSelect.value;
    productSelect.innerHTML = [...catalogue.values()]
      .map((p) => `<option value="${escapeHtml(p.productId)}">${escapeHtml(p.name)} — ${escapeHtml(money(p.priceCents, p.currency))}</option>`)
      .join('');
    if (catalogue.has(chosen)) productSelect.value = chosen;
  };
  /** How many of `p` one purchase may have: its total must be within the product's limits. */
  const quantityRange = (p: Product) => ({ min: Math.max(1, Math.ceil(p.minAmountCents / p.priceCents)), max: Math.floor(p.maxAmountCents / p.priceCents) });
  const quantitySentence = (p: Product) => {
    const { min, max } = quantityRange(p);
    const each = money(p.priceCents, p.currency);
    return min === max
      ? `${p.name} is sold one purchase of ${min} at a time (${each} each): choose ${min}.`
      : `Choose a quantity from ${min} to ${max}: ${p.name} costs ${each} each, and one purchase must total ${money(p.minAmountCents, p.currency)} to ${money(p.maxAmountCents, p.currency)}.`;
  };
  const installmentsSentence = (p: Product) =>
    p.maxInstallments === 1
      ? `${p.name} is paid in 1 installment: choose 1.`
      : `${p.name} can be paid in at most ${p.maxInstallments} installments: choose 1 to ${p.maxInstallments}.`;
  /** The API's refusals, said for the customer in their money. */
  const humanize: Humanize = (field) => {
    const p = catalogue.get(productSelect.value);
    if (field === 'productId') return 'Choose a product from the list.';
    if (field === 'quantity') return p ? quantitySentence(p) : 'Choose how many you want: a whole number, 1 or more.';
    if (field === 'installments') return p ? installmentsSentence(p) : 'Choose the number of installments: a whole number, 1 or more.';
    return undefined;
  };
  /** Terms checked here first (the API checks them again): a sentence beside the field, no request. */
  const checkTerms = (): ApiError | undefined => {
    const { quantity, installments } = body();
    const p = catalogue.get(productSelect.value);
    if (!Number.isInteger(quantity) || quantity < 1)
      return new ApiError(422, p ? quantitySentence(p) : 'Choose how many you want: a whole number, 1 or more.', 'quantity');
    if (p) {
      const { min, max } = quantityRange(p);
      if (quantity < min || quantity > max) return new ApiError(422, quantitySentence(p), 'quantity');
    }
    if (!Number.isInteger(installments) || installments < 1 || (p && installments > p.maxInstallments))
      return new ApiError(422, p ? installmentsSentence(p) : 'Choose the number of installments: a whole number, 1 or more.', 'installments');
    return undefined;
  };
  const body = () => {
    const f = new FormData(form);
    return { productId: String(f.get('productId')), quantity: Number(f.get('quantity')), installments: Number(f.get('installments')) };
  };
  const timelineEl = root.querySelector('#timeline')!;
  const linkEl = root.querySelector('#purchase-link')!;
  const cancelButton = root.querySelector<HTMLButtonElement>('#cancel-purchase')!;
  const cancelOutcome = root.querySelector<HTMLElement>('#cancel-outcome')!;
  const historyEl = root.querySelector('#history')!;
  const historyState = root.querySelector<HTMLElement>('#history-state')!;

  // The purchase followed in the Status card: its hops by status (a hop pushed twice, or both
  // fetched and pushed, is shown once).
  let current: { purchaseId: string; hops: Map<string, Hop> } | undefined;
  const renderTimeline = () => {
    if (!current) return;
    const hops = [...current.hops.values()].sort((a, b) => a.at.localeCompare(b.at) || ORDER.indexOf(a.status) - ORDER.indexOf(b.status));
    timelineEl.innerHTML = hops
      .map(
        (h) =>
          `<li data-status="${escapeHtml(h.status)}"><strong>${escapeHtml(h.status)}</strong>${customerDetail(h.status, h.detail) ? ` — <span class="detail">${escapeHtml(customerDetail(h.status, h.detail)!)}</span>` : ''} <time datetime="${escapeHtml(h.at)}">${formatTime(h.at)}</time></li>`,
      )
      .join('');
    // Cancellable until fulfillment starts (the API refuses it from PROCESSING on).
    cancelButton.hidden = !hops.length || hops.some((h) => !CANCELLABLE.has(h.status));
  };
  const follow = async (purchaseId: string) => {
    const same = current?.purchaseId === purchaseId;
    current = { purchaseId, hops: same ? current!.hops : new Map() };
    if (!same) {
      // Another purchase: the last one's cancel outcome no longer applies.
      cancelOutcome.textContent = '';
      timelineEl.innerHTML = '';
      linkEl.textContent = 'Loading the purchase…';
    }
    try {
      const p = await api<Detail>('GET', `/purchases/${purchaseId}`);
      if (current.purchaseId !== purchaseId) return;
      for (const h of p.timeline) if (!current.hops.has(h.status)) current.hops.set(h.status, h);
      linkEl.innerHTML = `Purchase <code>${escapeHtml(p.purchaseId)}</code> — ${escapeHtml(PRODUCTS[p.productId] ?? p.productId)} × ${p.quantity}, ${escapeHtml(money(p.totalCents, p.currency))} — <a href="${escapeHtml(p.temporalUi)}" target="_blank" rel="noopener">run in the Temporal Web UI</a>${p.traceId ? ` — ${traceLink(p.traceId, 'its trace')}` : ''}`;
      renderTimeline();
    } catch (err) {
      linkEl.textContent = `Could not load this purchase: ${describeError(err)}`;
    }
  };

  // The history: the newest 20, each with its status kept current by the pushes.
  const currencyOf = new Map<string, string>();
  const historyItem = (p: Summary) => {
    const li = document.createElement('li');
    li.dataset.purchaseId = p.purchaseId;
    li.dataset.status = p.status;
    const total = currencyOf.has(p.productId) ? ` — ${escapeHtml(money(p.totalCents, currencyOf.get(p.productId)!))}` : '';
    li.innerHTML = `<button type="button" class="link" data-follow>${escapeHtml(PRODUCTS[p.productId] ?? p.productId)} × ${p.quantity}</button>${total}
      — <span class="status">${escapeHtml(p.status)}</span> <time datetime="${escapeHtml(p.createdAt)}">${formatDateTime(p.createdAt)}</time>${traceLink(p.traceId)}`;
    li.querySelector('[data-follow]')!.addEventListener('click', () => {
      void follow(p.purchaseId);
      root.querySelector<HTMLElement>('#timeline-h')!.scrollIntoView({ block: 'nearest' });
    });
    return li;
  };
  const listPurchases = latestOnly(() => api<{ purchases: Summary[] }>('GET', '/purchases?limit=20'));
  const loadHistory = async () => {
    const { purchases } = await listPurchases();
    // A push can have moved a purchase on after this list was read: its row keeps the later status.
    const shown = new Map([...historyEl.querySelectorAll<HTMLElement>('li[data-purchase-id]')].map((li) => [li.dataset.purchaseId!, li.dataset.status]));
    historyEl.replaceChildren(...purchases.map((p) => historyItem({ ...p, status: laterStatus(ORDER, shown.get(p.purchaseId), p.status) })));
    if (purchases.length) setState(historyState, 'ready');
    else setState(historyState, 'empty', 'No purchases yet. Contract one above: it appears here.');
  };
  const reloadHistory = coalesce(() => void loadHistory().catch(failedTo(historyState, 'load your purchases')));
  // Currencies come with the catalogue; the history shows totals once it is known.
  void api<{ products: Product[] }>('GET', '/products')
    .then(({ products }) => {
      products.forEach((p) => {
        currencyOf.set(p.productId, p.currency);
        catalogue.set(p.productId, p);
      });
      showPrices();
    })
    .catch(() => undefined) // totals are then left out of the list; the rest still works
    .finally(() => void loadHistory().catch(failedTo(historyState, 'load your purchases')));

  root.querySelector('#simulate')!.addEventListener('click', () => {
    const wrong = checkTerms();
    if (wrong) return showError(form, wrong);
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
      (err: unknown) => showError(form, err, humanize),
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
    const wrong = checkTerms();
    if (wrong) return showError(form, wrong);
    inFlight = true;
    intentKey ??= crypto.randomUUID();
    retryBox.hidden = true;
    void whileBusy(contractButtons(), api<{ purchaseId: string }>('POST', '/purchases', body(), { 'idempotency-key': intentKey }), form)
      .then(
        (p) => {
          intentKey = undefined;
          showError(form, '');
          void follow(p.purchaseId);
          reloadHistory();
        },
        (err: unknown) => {
          // Unavailable or unreachable: the same intent may be retried safely, with the same key.
          const retryable = !(err instanceof ApiError) || err.status === 0 || err.status >= 500;
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
            showError(form, err, humanize);
          }
        },
      )
      .finally(() => (inFlight = false));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    contract();
  });
  root.querySelector('#purchase-retry')!.addEventListener('click', contract);

  cancelButton.addEventListener('click', () => {
    if (!current) return;
    const { purchaseId } = current;
    cancelOutcome.textContent = 'Cancelling…';
    void whileBusy(
      [cancelButton],
      api<{ status: string; reason?: string | null }>('POST', `/purchases/${purchaseId}/cancel`, {}).then(
        (r) => {
          cancelOutcome.textContent = r.status === 'CANCELLED' ? 'Cancelled: you will not be charged.' : `The purchase is ${r.status}.`;
          void follow(purchaseId);
          reloadHistory();
        },
        (err: unknown) => {
          // 409: it moved on (completed, or fulfillment already started) before the cancel arrived.
          cancelOutcome.textContent = `Could not cancel: ${describeError(err)}`;
          void follow(purchaseId);
        },
      ),
    );
  });

  app.onEvent((e) => {
    const data = e.data as { purchaseId?: string; status?: string; detail?: string | null; at?: string };
    if (e.event !== 'purchase.status' || !data.purchaseId || !data.status) return;
    if (current?.purchaseId === data.purchaseId && !current.hops.has(data.status)) {
      current.hops.set(data.status, { status: data.status, at: data.at ?? new Date().toISOString(), detail: data.detail ?? null });
      renderTimeline();
    }
    const li = historyEl.querySelector<HTMLElement>(`li[data-purchase-id="${CSS.escape(data.purchaseId)}"]`);
    if (!li) return reloadHistory(); // made elsewhere (another tab or device)
    // Pushes of one purchase arrive in order; a later one never goes back to an earlier status.
    li.dataset.status = laterStatus(ORDER, li.dataset.status, data.status);
    li.querySelector('.status')!.textContent = li.dataset.status;
  });
  // Missed pushes the gateway could not replay: read the state again.
  app.onGap(() => {
    reloadHistory();
    if (current) void follow(current.purchaseId);
  });
};
