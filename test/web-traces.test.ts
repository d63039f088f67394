import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWebSystem, type WebSystem } from './support/web-system';

// The trace view (#/traces/<id>) in headless Chromium against the whole system (main.ts, one
// process, every role under its own service name) and the Jaeger scripts/infra/up.sh runs: a
// purchase's trace, opened from the purchase, shows the spans of the API, the worker and the
// consumers, as a waterfall with a legend of services.
describe('trace view in headless Chromium', () => {
  let sys: WebSystem;
  let page: Page;

  beforeAll(async () => {
    sys = await startWebSystem();
    page = await sys.signedIn();
  }, 90_000);
  afterAll(async () => {
    await sys?.stop();
  });

  /** The waterfall's rows as { service, name, depth }. */
  const rows = () =>
    page.locator('#waterfall li.span').evaluateAll((lis) =>
      lis.map((li) => ({
        service: (li as HTMLElement).dataset.service,
        name: li.querySelector('.span-name')?.textContent,
        error: (li as HTMLElement).dataset.error,
        duration: li.querySelector('.span-duration')?.textContent ?? '',
        indent: parseFloat((li.querySelector('.span-label') as HTMLElement).style.paddingLeft) || 0,
      })),
    );

  it('a completed purchase links its trace: the API, the worker and the consumers, one waterfall', async () => {
    await page.goto(`${sys.base}/#/purchase`);
    await page.getByLabel('Product').selectOption('gift-card-100');
    await page.getByRole('button', { name: 'Contract' }).click();
    await page.locator('#timeline li[data-status="COMPLETED"]').waitFor({ timeout: 30_000 });
    const purchaseId = await page.locator('#purchase-link code').textContent();
    // The same trace from the purchase, its row in the history, and the response the contract got.
    const link = page.locator('#purchase-link a.trace-link');
    const traceId = await link.getAttribute('data-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await page.locator(`#history li[data-purchase-id="${purchaseId}"] a.trace-link[data-trace-id="${traceId}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator('#last-trace a').getAttribute('data-trace-id')).toBe(traceId);
    expect(await page.locator('#last-trace a').textContent()).toBe('Trace of POST /purchases');

    await link.click();
    expect(page.url()).toBe(`${sys.base}/#/traces/${traceId}`);
    // Spans arrive in batches from each role; the page reads the young trace again until they are in.
    for (const [service, name] of [
      ['tidings-api', 'POST /purchases'],
      ['tidings-worker', 'RunWorkflow:purchase'],
      ['tidings-consumers', 'fulfillment process'],
      ['tidings-consumers', 'purchase-results process'],
    ] as const)
      await page.locator(`#waterfall li.span[data-service="${service}"]`, { hasText: name }).first().waitFor({ timeout: 30_000 });
    const spans = await rows();
    for (const s of ['tidings-api', 'tidings-worker', 'tidings-consumers']) expect(spans.map((x) => x.service)).toContain(s);
    // The request is the root, first and not indented; the rest nests under it.
    expect(spans[0]).toMatchObject({ service: 'tidings-api', name: 'POST /purchases', indent: 0 });
    expect(spans.slice(1).every((s) => s.indent > 0)).toBe(true);
    expect(spans.every((s) => /^\d[\d.,]* (ms|s)$/.test(s.duration))).toBe(true);
    expect(spans.every((s) => s.error === 'false')).toBe(true);
    const legend = await page.locator('#trace-legend li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.service));
    expect(legend[0]).toBe('tidings-api');
    expect(legend).toEqual(expect.arrayContaining(['tidings-api', 'tidings-worker', 'tidings-consumers']));
    expect(Number(await page.locator('#span-count').textContent())).toBe(spans.length);
    await page.screenshot({ path: '.data/screenshots/trace-view.png', fullPage: true });
  }, 90_000);

  it('an event’s trail and a notification’s row link their traces too', async () => {
    await page.goto(`${sys.base}/#/events`);
    await page.getByRole('button', { name: 'Publish' }).click();
    const eventLink = page.locator('#trail a.trace-link');
    await eventLink.waitFor({ timeout: 15_000 });
    const eventTrace = await eventLink.getAttribute('data-trace-id');
    const eventId = await page.locator('#trail code').textContent();
    await page.locator(`#event-history li[data-event-id="${eventId}"] a.trace-link[data-trace-id="${eventTrace}"]`).waitFor({ timeout: 10_000 });
    await eventLink.click();
    await page.locator('#waterfall li.span[data-service="tidings-api"]', { hasText: 'POST /events' }).waitFor({ timeout: 30_000 });

    await page.goto(`${sys.base}/#/notifications`);
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.locator('#notify-outcome', { hasText: 'Scheduled for' }).waitFor({ timeout: 10_000 });
    const row = page.locator('#mine li a.trace-link').first();
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    await page.locator('#waterfall li.span[data-service="tidings-api"]', { hasText: 'POST /notifications' }).waitFor({ timeout: 30_000 });
  }, 90_000);

  it('a trace read that fails for a moment (Jaeger slow: 503) is read again, not given up', async () => {
    const traceId = (await page.locator('#last-trace a').getAttribute('data-trace-id'))!;
    // The first read answers what the API answers when Jaeger took too long; later ones go through.
    let failed = 0;
    await page.route(new RegExp(`/traces/${traceId}$`), (route) =>
      failed++ > 0
        ? route.continue()
        : route.fulfill({
            status: 503,
            contentType: 'application/json',
            headers: { 'Retry-After': '1' },
            body: JSON.stringify({ error: { code: 'dependency_unavailable', message: 'jaeger did not answer in time' } }),
          }),
    );
    try {
      // Away and back: nothing of the previous trace left on screen, the app (and its last trace) kept.
      await page.goto(`${sys.base}/#/events`);
      await page.locator('#waterfall').waitFor({ state: 'detached' });
      await page.goto(`${sys.base}/#/traces/${traceId}`);
      await page.locator('#waterfall li.span[data-service="tidings-api"]').first().waitFor({ timeout: 30_000 });
      expect(failed).toBeGreaterThanOrEqual(2);
    } finally {
      await page.unroute(new RegExp(`/traces/${traceId}$`));
    }
  }, 60_000);

  it('another user’s trace and a malformed id are said so, not shown', async () => {
    const traceId = (await page.locator('#last-trace a').getAttribute('data-trace-id'))!;
    const other = await sys.signedIn();
    await other.goto(`${sys.base}/#/traces/${traceId}`);
    await other.locator('#trace-state', { hasText: 'No trace of yours' }).waitFor({ timeout: 45_000 });
    expect(await other.locator('#waterfall li').count()).toBe(0);
    await other.goto(`${sys.base}/#/traces/not-a-trace`);
    await other.locator('#trace-state', { hasText: 'not a trace id' }).waitFor({ timeout: 5_000 });
    await other.close();
  }, 60_000);
});
