// Ledger: post credits and debits (outbox: accepted even with Temporal down) and the daily
// consolidated report, refreshed while consolidation catches up, with a small bar chart.
import { api, escapeHtml, showError } from '../api';
import type { Page } from '../page';

interface Day {
  date: string;
  currency: string;
  opening: string;
  credits: string;
  debits: string;
  net: string;
  closing: string;
  entryCount: number;
  consolidatedCount: number;
  pendingEntries: number;
  closed: boolean;
}

export const ledgerPage: Page = (root) => {
  const today = new Date().toISOString().slice(0, 10);
  root.innerHTML = `<h1>Ledger</h1>
    <form id="entry-form" class="card" novalidate>
      <label>Type <select name="type"><option value="credit">credit</option><option value="debit">debit</option></select></label>
      <span class="field-error" data-error-for="type"></span>
      <label>Amount <input name="amount" inputmode="decimal" value="10.00" /></label>
      <span class="field-error" data-error-for="amount"></span>
      <label>Description <input name="description" value="sale" /></label>
      <span class="field-error" data-error-for="description"></span>
      <label>Date <input name="occurredAt" type="date" value="${today}" /></label>
      <span class="field-error" data-error-for="occurredAt"></span>
      <button type="submit">Post entry</button>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <section class="card" aria-labelledby="report-h"><h2 id="report-h">Daily balance</h2><div id="report" aria-live="polite"></div></section>`;
  const form = root.querySelector<HTMLFormElement>('#entry-form')!;
  const report = root.querySelector('#report')!;
  let refreshing: ReturnType<typeof setTimeout> | undefined;

  const render = async () => {
    const date = String(new FormData(form).get('occurredAt')) || today;
    const { days } = await api<{ days: Day[] }>('GET', `/ledger/balances/daily?date=${encodeURIComponent(date)}`);
    const d = days[0];
    if (!d) {
      report.textContent = `No entries on ${date}.`;
      return;
    }
    const max = Math.max(Number(d.credits), Number(d.debits), 1);
    const bar = (label: string, value: string, color: string) =>
      `<div><span>${label} ${escapeHtml(value)}</span><div role="img" aria-label="${label} ${escapeHtml(value)}" style="height:0.8rem;background:${color};width:${(Number(value) / max) * 100}%"></div></div>`;
    report.innerHTML = `<p>${escapeHtml(d.date)} ${escapeHtml(d.currency)} — opening ${escapeHtml(d.opening)}, net <strong>${escapeHtml(d.net)}</strong>, closing <strong id="closing">${escapeHtml(d.closing)}</strong>${d.closed ? ' (closed)' : ''}</p>
      ${bar('credits', d.credits, '#3ebd93')}${bar('debits', d.debits, '#ef4e4e')}
      <p id="consolidation" data-pending="${d.pendingEntries}">${d.consolidatedCount} of ${d.entryCount} entries consolidated${d.pendingEntries ? `, ${d.pendingEntries} pending` : ''}</p>`;
    clearTimeout(refreshing);
    if (d.pendingEntries > 0 && root.isConnected) refreshing = setTimeout(() => void render(), 500);
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    api('POST', '/ledger/entries', {
      type: String(f.get('type')),
      amount: String(f.get('amount')),
      currency: 'BRL',
      description: String(f.get('description')),
      occurredAt: String(f.get('occurredAt')),
    }).then(
      () => {
        showError(form, '');
        void render();
      },
      (err: unknown) => showError(form, err),
    );
  });
  void render();
};
