// Ledger: post credits and debits (outbox: accepted even with Temporal down) and the daily
// consolidated report of every currency, kept current by the relay's pushes on the merchant's
// ledger channel (no polling), with each currency's closing balance over two weeks as a chart.
import { api, ApiError, escapeHtml, showError, type Humanize } from '../api';
import { balanceChart } from '../chart';
import type { Page } from '../page';
import { isOlderReport } from '../freshness';
import { clearErrorsOnInput, describeError, formatMoney, parseLocalAmount, whileBusy } from '../ui';
import { ledgerChannel } from '../../../contracts/channels';

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

export const ledgerPage: Page = (root, app) => {
  const today = new Date().toISOString().slice(0, 10);
  root.innerHTML = `<h1>Ledger</h1>
    <form id="entry-form" class="card" novalidate>
      <label>Type <select name="type"><option value="credit">credit</option><option value="debit">debit</option></select></label>
      <span class="field-error" data-error-for="type"></span>
      <label>Currency <select name="currency"><option>BRL</option><option>USD</option><option>EUR</option></select></label>
      <span class="field-error" data-error-for="currency"></span>
      <label>Amount <input name="amount" inputmode="decimal" value="${new Intl.NumberFormat(undefined, { minimumFractionDigits: 2 }).format(10)}" /></label>
      <span class="field-error" data-error-for="amount"></span>
      <label>Description <input name="description" value="sale" /></label>
      <span class="field-error" data-error-for="description"></span>
      <label>Date <input name="occurredAt" type="date" value="${today}" /></label>
      <span class="field-error" data-error-for="occurredAt"></span>
      <button type="submit">Post entry</button>
      <span class="field-error" data-error-for="form"></span>
    </form>
    <section class="card" aria-labelledby="report-h"><h2 id="report-h">Daily balance</h2><div id="report" aria-live="polite">Loading…</div></section>
    <section class="card" aria-labelledby="chart-h"><h2 id="chart-h">Closing balance, last 14 days</h2><div id="chart">Loading…</div></section>
    <section class="card" aria-labelledby="entries-h"><h2 id="entries-h">Entries of the day</h2><p id="entries-state">Loading…</p><ul id="entries" class="timeline"></ul></section>`;
  const form = root.querySelector<HTMLFormElement>('#entry-form')!;
  clearErrorsOnInput(form);
  const example = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2 }).format(12.34);
  const amountSentence = () => `Enter an amount greater than zero with at most 2 decimal places, like ${example}.`;
  /** The API's refusals in words (the decimal mark is the user's). */
  const humanize: Humanize = (field, message) => {
    if (field === 'amount') return /greater than zero/.test(message) ? `The amount must be greater than zero, like ${example}.` : amountSentence();
    if (field === 'description') return 'Describe the entry in up to 200 characters.';
    if (field === 'occurredAt') return 'Choose the day the entry happened.';
    if (field === 'currency') return 'Choose a currency from the list.';
    return undefined;
  };
  const report = root.querySelector('#report')!;
  const shownDate = () => String(new FormData(form).get('occurredAt')) || today;
  const money = (value: string, currency: string) => formatMoney(value, currency);

  // Every currency of the day, one card each; amounts formatted for the reader's locale.
  let shown: { date: string; days: Day[] } | undefined;
  const show = (date: string, days: Day[]) => {
    if (date !== shownDate()) return;
    if (shown?.date === date && isOlderReport(shown.days, days)) return;
    shown = { date, days };
    if (days.length === 0) {
      report.textContent = `No entries on ${date}.`;
      return;
    }
    report.innerHTML = days
      .map((d) => {
        const max = Math.max(Number(d.credits), Number(d.debits), 1);
        const bar = (label: string, value: string, color: string) =>
          `<div><span>${label} ${escapeHtml(money(value, d.currency))}</span><div role="img" aria-label="${label} ${escapeHtml(money(value, d.currency))}" style="height:0.8rem;background:${color};width:${(Number(value) / max) * 100}%"></div></div>`;
        return `<div class="balance" data-currency="${escapeHtml(d.currency)}" data-closing="${escapeHtml(d.closing)}" data-pending="${d.pendingEntries}">
          <p>${escapeHtml(d.date)} ${escapeHtml(d.currency)} — opening ${escapeHtml(money(d.opening, d.currency))}, net <strong>${escapeHtml(money(d.net, d.currency))}</strong>, closing <strong class="closing">${escapeHtml(money(d.closing, d.currency))}</strong>${d.closed ? ' (closed)' : ''}</p>
          ${bar('credits', d.credits, '#3ebd93')}${bar('debits', d.debits, '#ef4e4e')}
          <p class="consolidation">${d.consolidatedCount} of ${d.entryCount} entries consolidated${d.pendingEntries ? `, ${d.pendingEntries} pending` : ''}</p></div>`;
      })
      .join('');
  };
  const entriesList = root.querySelector('#entries')!;
  const entriesState = root.querySelector('#entries-state')!;
  const chart = root.querySelector<HTMLElement>('#chart')!;
  const loadEntries = async (date: string) => {
    const { entries } = await api<{ entries: { entryId: string; type: string; amount: string; currency: string; description: string; createdAt: string }[] }>(
      'GET',
      `/ledger/entries?date=${encodeURIComponent(date)}&limit=100`,
    );
    if (date !== shownDate()) return;
    entriesState.textContent = entries.length ? '' : `No entries on ${date}.`;
    // In the order they happened (the time each was posted).
    entriesList.innerHTML = [...entries]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map(
        (e) =>
          `<li data-entry-id="${escapeHtml(e.entryId)}">${escapeHtml(e.type)} <strong>${escapeHtml(money(e.type === 'debit' ? `-${e.amount}` : e.amount, e.currency))}</strong> — ${escapeHtml(e.description)} (${new Date(e.createdAt).toLocaleTimeString()})</li>`,
      )
      .join('');
  };
  // The chart: each currency's closing balance over the 14 days ending at the shown date; fetched
  // once per date, then patched from the pushed balances (no polling of the report).
  let range: { to: string; days: Day[] } | undefined;
  const renderChart = () => {
    if (!range) return;
    const from = new Date(Date.parse(range.to) - 13 * 86_400_000).toISOString().slice(0, 10);
    const labels = Array.from({ length: 14 }, (_, i) => new Date(Date.parse(from) + i * 86_400_000).toISOString().slice(0, 10));
    const days = range.days;
    const currencies = [...new Set(days.map((d) => d.currency))].sort();
    if (!currencies.length) {
      chart.textContent = 'No balances in these 14 days yet.';
      return;
    }
    // A day without a row keeps the previous closing balance (nothing moved).
    const series = currencies.map((currency) => {
      let last = 0;
      const values = labels.map((l) => {
        const d = days.find((x) => x.currency === currency && x.date === l);
        if (d) last = Number(d.closing);
        return last;
      });
      return { name: currency, values };
    });
    // One chart per currency: amounts in different currencies share no axis.
    chart.dataset.series = currencies.join(',');
    for (const old of chart.querySelectorAll<HTMLElement>('.currency-chart')) if (!currencies.includes(old.dataset.currency ?? '')) old.remove();
    if (!chart.querySelector('.currency-chart')) chart.replaceChildren();
    for (const s of series) {
      let box = chart.querySelector<HTMLElement>(`.currency-chart[data-currency="${s.name}"]`);
      if (!box) {
        box = document.createElement('figure');
        box.className = 'currency-chart';
        box.dataset.currency = s.name;
        box.innerHTML = '<figcaption></figcaption><div class="plot"></div>';
        chart.append(box);
      }
      const last = s.values.at(-1) ?? 0;
      box.querySelector('figcaption')!.textContent = `${s.name}: closing ${money(String(last), s.name)} on ${labels.at(-1) ?? ''}`;
      balanceChart(box.querySelector<HTMLElement>('.plot')!, labels, [s], (currency, v) => money(String(v), currency));
    }
  };
  const loadChart = async (date: string) => {
    const from = new Date(Date.parse(date) - 13 * 86_400_000).toISOString().slice(0, 10);
    const { days } = await api<{ days: Day[] }>('GET', `/ledger/balances/daily?from=${from}&to=${encodeURIComponent(date)}`);
    if (date !== shownDate()) return;
    range = { to: date, days };
    renderChart();
  };
  const patchChart = (date: string, days: Day[]) => {
    if (!range || date > range.to) return;
    range = { to: range.to, days: [...range.days.filter((d) => d.date !== date), ...days] };
    renderChart();
  };
  const failed = (el: Element) => (err: unknown) => (el.textContent = `Could not load: ${describeError(err)}`);
  const load = async () => {
    const date = shownDate();
    void loadEntries(date).catch(failed(entriesState));
    void loadChart(date).catch(failed(chart));
    const { days } = await api<{ days: Day[] }>('GET', `/ledger/balances/daily?date=${encodeURIComponent(date)}`);
    show(date, days);
  };
  // Live: the relay pushes each day's balance to this merchant's ledger channel as it applies
  // entries, so the report follows consolidation without polling.
  app.subscribe(ledgerChannel(app.userId));
  // What the gateway could not replay after a reconnect is read again.
  app.onGap(() => void load().catch(failed(report)));
  app.onEvent((e) => {
    if (e.channel !== ledgerChannel(app.userId) || e.event !== 'ledger.balance') return;
    const { date, days } = e.data as { date: string; days: Day[] };
    show(date, days);
    patchChart(date, days);
    if (date === shownDate()) void loadEntries(date).catch(failed(entriesState));
  });
  form.querySelector('input[name="occurredAt"]')!.addEventListener('change', () => void load().catch(failed(report)));
  // One Idempotency-Key per entry the user means to post: kept when Post is pressed again after a
  // failure (or twice in a row), so the entry is booked once; new once it is posted or edited.
  let intentKey: string | undefined;
  const postButton = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  form.addEventListener('input', () => (intentKey = undefined));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (postButton.disabled) return;
    const f = new FormData(form);
    // Typed the user's way ("1,50" where the comma is the decimal mark), sent the API's way ("1.50").
    const amount = parseLocalAmount(String(f.get('amount')));
    if (amount === undefined || !/^\d+(\.\d{1,2})?$/.test(amount)) return showError(form, new ApiError(422, amountSentence(), 'amount'));
    if (Number(amount) <= 0) return showError(form, new ApiError(422, `The amount must be greater than zero, like ${example}.`, 'amount'));
    intentKey ??= crypto.randomUUID();
    void whileBusy(
      [postButton],
      api(
        'POST',
        '/ledger/entries',
        {
          type: String(f.get('type')),
          amount,
          currency: String(f.get('currency')),
          description: String(f.get('description')),
          occurredAt: String(f.get('occurredAt')),
        },
        { 'idempotency-key': intentKey },
      ).then(
        () => {
          intentKey = undefined;
          showError(form, '');
          void load().catch(failed(report));
        },
        (err: unknown) => showError(form, err, humanize),
      ),
      form,
    );
  });
  void load().catch(failed(report));
};
