import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxRelayId } from '../workflows/ledger';
import { freePort, ROOT, testEnv, uniqueId } from './support/context';
import { ledgerChannel, userChannel } from '../contracts/channels';
import { wallClock } from '../domain/zoned-time';

// The web app in real headless Chromium (Debian's, driven by playwright-core) against the whole
// system started from main.ts: each page's main action, and the live update seen on screen.
// Run apart from the other server tests (scripts/test.sh): its consumers share the real queues.
const SCREENSHOTS = path.join(ROOT, '.data/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('web app in headless Chromium', () => {
  let system: ChildProcess;
  let browser: Browser;
  let page: Page;
  let base: string;
  const taskQueue = uniqueId('web-test');

  beforeAll(async () => {
    const [apiPort, gatewayPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${apiPort}`;
    system = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TIDINGS_ENV: testEnv(),
        LOG_LEVEL: 'warn',
        API_PORT: String(apiPort),
        GATEWAY_PORT: String(gatewayPort),
        PUBLIC_GATEWAY_URL: `ws://127.0.0.1:${gatewayPort}/ws`,
        TEMPORAL_TASK_QUEUE: taskQueue,
        KAFKA_GROUP_PREFIX: uniqueId('web-test'),
        KAFKA_NEW_GROUP_FROM: 'latest',
        SELF_CHECK_ON_START: 'false',
        LEDGER_RELAY_ON_START: 'false',
        DEV_SIGN_IN: 'true',
        SQS_WAIT_SECONDS: '1',
        // Fulfillment takes as long as users meet it (a purchase stays PENDING long enough to cancel).
        FULFILLMENT_DELAY_MS: '3000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/health`)).ok) break;
      } catch {
        if (i > 150) throw new Error('the system did not start');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    await page.goto(base);
    await page.getByLabel('Demo user').fill(uniqueId('web-user'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#connection[data-state="open"]').waitFor({ timeout: 15_000 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    // The ledger page woke an outbox relay on this run's task queue; it must not outlive the test.
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    await new Client({ connection }).workflow
      .getHandle(outboxRelayId(testEnv(), taskQueue))
      .terminate('test over')
      .catch(() => undefined);
    await connection.close();
    if (system && system.exitCode === null) {
      const exited = new Promise((r) => system.once('exit', r));
      system.kill('SIGTERM');
      await exited;
    }
  });

  it('Purchase: a refused term is shown next to its field; contracting fills the timeline live up to COMPLETED', async () => {
    await page.goto(`${base}/#/purchase`);
    await page.locator('#connection', { hasText: 'connected' }).waitFor({ timeout: 15_000 });
    await page.getByLabel('Product').selectOption('phone-x');
    await page.getByLabel('Installments').fill('99');
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.locator('[data-error-for="installments"]', { hasText: 'at most 10 installments' }).waitFor({ timeout: 10_000 });
    await page.getByLabel('Installments').fill('10');
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.locator('#quote', { hasText: '10 ×' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-error-for="installments"]').textContent()).toBe('');
    await page.getByRole('button', { name: 'Contract' }).click();
    await page.locator('#timeline li[data-status="COMPLETED"]').waitFor({ timeout: 30_000 });
    const statuses = await page.locator('#timeline li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.status));
    expect(statuses).toEqual(['RECEIVED', 'PENDING', 'PROCESSING', 'COMPLETED']);
    // The history lists it, its status kept current by the same pushes.
    const purchaseId = await page.locator('#purchase-link code').textContent();
    await page.locator(`#history li[data-purchase-id="${purchaseId}"][data-status="COMPLETED"]`).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('link', { name: 'run in the Temporal Web UI' }).getAttribute('href')).toContain(`/workflows/${testEnv()}.purchase-`);
  }, 60_000);

  it('Events: publishing shows the trail filling in until complete, without a reload', async () => {
    await page.goto(`${base}/#/events`);
    await page.getByLabel('Type').fill('order.created');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#trail-complete').waitFor({ timeout: 30_000 });
    const steps = await page
      .locator('#trail li')
      .evaluateAll((lis) =>
        lis.map((li) => ({ step: (li as HTMLElement).dataset.step, ms: Number((li as HTMLElement).dataset.latencyMs), text: li.textContent ?? '' })),
      );
    expect(steps.map((s) => s.step).sort()).toEqual(['accepted', 'published_kafka', 'published_sns', 'stored_b', 'stored_c']);
    // In the order they happened, in words.
    expect(steps.map((s) => s.ms)).toEqual([...steps.map((s) => s.ms)].sort((a, b) => a - b));
    expect(steps[0]!.step).toBe('accepted');
    expect(steps.find((s) => s.step === 'published_sns')!.text).toMatch(/^Published to SNS after \d/);
    expect(steps.find((s) => s.step === 'stored_b')!.text).toMatch(/^Stored by service B after/);
    expect(await page.locator('#trail').textContent()).not.toMatch(/published_|stored_/);
    // After a reload the event is in the history, and its trail is a click away.
    const eventId = await page.locator('#trail code').textContent();
    await page.reload();
    await page.locator(`#event-history li[data-event-id="${eventId}"]`).waitFor({ timeout: 10_000 });
    await page.locator(`#event-history li[data-event-id="${eventId}"] button`).click();
    await page.locator('#trail-complete').waitFor({ timeout: 10_000 });
    expect(await page.locator('#trail li').count()).toBe(5);
  }, 60_000);

  it('Ledger: a bad amount is shown next to its field; a posted entry is consolidated into the daily report live', async () => {
    await page.goto(`${base}/#/ledger`);
    await page.getByLabel('Amount').fill('1.234');
    await page.getByRole('button', { name: 'Post entry' }).click();
    await page.locator('[data-error-for="amount"]', { hasText: 'at most 2 decimal places' }).waitFor({ timeout: 10_000 });
    await page.getByLabel('Amount').fill('12.34');
    await page.getByRole('button', { name: 'Post entry' }).click();
    await page.locator('.balance[data-currency="BRL"][data-pending="0"][data-closing="12.34"]').waitFor({ timeout: 30_000 });

    // Pushed, not polled: an entry posted elsewhere (another device, the API) appears with no
    // reload and no request from the page for the report.
    const reportRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/ledger/balances')) reportRequests.push(r.url());
    });
    const { token } = JSON.parse((await page.evaluate(() => sessionStorage.getItem('tidings.session'))) ?? '{}') as { token: string };
    const day = await page.getByLabel('Date').inputValue();
    const posted = await fetch(`${base}/ledger/entries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'credit', amount: '7.66', currency: 'BRL', description: 'from another device', occurredAt: day }),
    });
    expect(posted.status).toBe(201);
    await page.locator('.balance[data-currency="BRL"][data-pending="0"][data-closing="20.00"]').waitFor({ timeout: 30_000 });
    expect(reportRequests).toEqual([]);
  }, 60_000);

  it('Ledger (5): a second currency is shown beside the first, entries in time order, a chart per currency with its money on the axis and its closing value written', async () => {
    await page.goto(`${base}/#/ledger`);
    await page.reload();
    await page.locator('.balance[data-currency="BRL"]').waitFor({ timeout: 10_000 });
    await page.getByLabel('Currency').selectOption('USD');
    await page.getByLabel('Amount').fill('3.50');
    await page.getByRole('button', { name: 'Post entry' }).click();
    await page.locator('.balance[data-currency="USD"][data-pending="0"][data-closing="3.50"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('.balance[data-currency="BRL"][data-closing="20.00"]').count()).toBe(1);
    // Formatted per currency by Intl.NumberFormat, not "USD 3.50".
    const usd = await page.locator('.balance[data-currency="USD"] .closing').textContent();
    expect(usd).toBe(await page.evaluate(() => new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' }).format(3.5)));
    await page.locator('#entries li').nth(2).waitFor({ timeout: 10_000 });
    expect(await page.locator('#entries li').count()).toBe(3);
    // Entries in the order they were posted.
    const times = await page.locator('#entries li').evaluateAll((lis) => lis.map((li) => li.textContent ?? ''));
    expect(times[0]).toContain('12.34');
    // uPlot charts, one per currency (amounts in different currencies share no axis), each axis in
    // its money and the closing value written out.
    await page.locator('#chart[data-series="BRL,USD"] .currency-chart[data-currency="USD"] .uplot canvas').waitFor({ timeout: 10_000 });
    for (const currency of ['BRL', 'USD']) {
      const fig = page.locator(`#chart .currency-chart[data-currency="${currency}"]`);
      expect(await fig.locator('.u-legend .u-series .u-label').allTextContents()).toEqual(['Day', currency]);
      const symbol = await page.evaluate(
        (c) => new Intl.NumberFormat(undefined, { style: 'currency', currency: c }).format(0).replace(/[\d.,\s]/g, ''),
        currency,
      );
      expect((await fig.locator('.plot').getAttribute('data-y-ticks')) ?? '').toContain(symbol);
      expect(await fig.locator('figcaption').textContent()).toContain(
        await page.evaluate((c) => new Intl.NumberFormat(undefined, { style: 'currency', currency: c }).format(c === 'BRL' ? 20 : 3.5), currency),
      );
      expect((await fig.locator('canvas').boundingBox())?.width).toBeGreaterThan(200);
    }
  }, 60_000);

  it('Ledger: a report read before the relay’s push but answered after it does not put the older balance back', async () => {
    // On a busy machine the GET the page sends after posting can leave before the push of the
    // consolidated balance and land after it; shown as it came, "closing 1,00" would replace the
    // pushed 3,00 and no later push would correct it. The route hands the page exactly that late,
    // older answer once the push is on screen.
    const { context, tab } = await signedIn(uniqueId('merchant-late'));
    try {
      await tab.goto(`${base}/#/ledger`);
      await tab.getByLabel('Amount').fill('1.00');
      await tab.getByRole('button', { name: 'Post entry' }).click();
      await tab.locator('.balance[data-currency="BRL"][data-pending="0"][data-closing="1.00"]').waitFor({ timeout: 30_000 });

      const { token } = JSON.parse((await tab.evaluate(() => sessionStorage.getItem('tidings.session'))) ?? '{}') as { token: string };
      const day = await tab.getByLabel('Date').inputValue();
      const older = await fetch(`${base}/ledger/balances/daily?date=${day}`, { headers: { authorization: `Bearer ${token}` } });
      expect(older.status).toBe(200);
      const olderBody = await older.text();
      expect(olderBody).toContain('"closing":"1.00"');

      let answeredLate = 0;
      await tab.route(/\/ledger\/balances\/daily\?date=/, async (route) => {
        await tab.locator('.balance[data-currency="BRL"][data-pending="0"][data-closing="3.00"]').waitFor({ timeout: 30_000 });
        await route.fulfill({ status: 200, contentType: 'application/json', body: olderBody });
        answeredLate++;
      });
      await tab.getByLabel('Amount').fill('2.00');
      await tab.getByRole('button', { name: 'Post entry' }).click();
      await expect.poll(() => answeredLate, { timeout: 30_000 }).toBe(1);
      // Let the page read the late answer (parsing it is a task or two after the response).
      await tab.evaluate(() => new Promise((r) => setTimeout(r, 300)));
      expect(await tab.locator('.balance[data-currency="BRL"]').getAttribute('data-closing')).toBe('3.00');
      expect(await tab.locator('.balance[data-currency="BRL"] .closing').textContent()).toBe(
        await tab.evaluate(() => new Intl.NumberFormat(undefined, { style: 'currency', currency: 'BRL' }).format(3)),
      );
    } finally {
      await context.close();
    }
  }, 60_000);

  it('Notifications: a scheduled web notification arrives in the live inbox at its time, and its row in the list turns SENT', async () => {
    await page.goto(`${base}/#/notifications`);
    await page.locator('#prefs-state', { hasText: 'Not set yet' }).waitFor({ timeout: 10_000 });
    await page.getByLabel('web').check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.locator('#prefs-state', { hasText: 'Saved: web' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Schedule', exact: true }).click(); // the form defaults to a few seconds ahead
    await page.locator('#notify-outcome', { hasText: 'Scheduled for' }).waitFor({ timeout: 10_000 });
    const row = page.locator('#mine li').first();
    await row.locator('.state', { hasText: /Scheduled|Sent/ }).waitFor({ timeout: 10_000 });
    await page.locator('#inbox li').first().waitFor({ timeout: 30_000 });
    await page.locator(`#mine li[data-status="SENT"][data-notification-id="${await row.getAttribute('data-notification-id')}"]`).waitFor({ timeout: 10_000 });
  }, 60_000);

  /** The signed-in page's bearer token, for calls made "from another device". */
  const sessionToken = async () =>
    JSON.parse((await page.evaluate(() => sessionStorage.getItem('tidings.session'))) ?? '{}') as { token: string; userId: string };
  const asUser = async (method: string, url: string, body?: unknown) => {
    const { token } = await sessionToken();
    return fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };

  it('Notifications: a reload shows the inbox from the API, not an empty list', async () => {
    await page.goto(`${base}/#/notifications`);
    const sent = await page.locator('#inbox li').first().getAttribute('data-notification-id');
    await page.reload();
    await page.locator(`#inbox li[data-notification-id="${sent}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator('#inbox-state').textContent()).toBe('');
  }, 30_000);

  it('Notifications: scheduling leaves preferences chosen elsewhere (email, quiet hours) as they were', async () => {
    const chosen = { timezone: 'America/Sao_Paulo', channels: ['email', 'web'], quietHours: { start: '22:00', end: '07:00' }, mutedUntil: null };
    const { userId } = await sessionToken();
    expect((await asUser('PUT', `/users/${userId}/notification-preferences`, chosen)).status).toBe(200);
    await page.goto(`${base}/#/notifications`);
    await page.reload(); // the same hash as before: nothing would load the page again
    await page.locator('#prefs-state', { hasText: 'quiet 22:00–07:00' }).waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('email').isChecked()).toBe(true);
    expect(await page.getByLabel('Quiet hours from').inputValue()).toBe('22:00');
    await page.getByLabel('Send at').fill(wallClock('America/Sao_Paulo', Date.now() + 3_600_000));
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.locator('#notify-outcome', { hasText: 'Scheduled for' }).waitFor({ timeout: 10_000 });
    const after = (await (await asUser('GET', `/users/${userId}/notification-preferences`)).json()) as typeof chosen;
    expect({ ...after, channels: [...after.channels].sort() }).toMatchObject(chosen);
    await page.locator('#mine li[data-status="SCHEDULED"]').first().getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#notify-outcome', { hasText: 'Cancelled' }).waitFor({ timeout: 10_000 });
  }, 30_000);

  it('Notifications (2): after a reload every notification is listed with its own state, Cancel and Reschedule, times in the saved zone, filterable and paged', async () => {
    const name = uniqueId('notify-user');
    const { context, tab } = await signedIn(name);
    try {
      const token = (JSON.parse((await tab.evaluate(() => sessionStorage.getItem('tidings.session'))) ?? '{}') as { token: string }).token;
      const call = (method: string, url: string, body?: unknown) =>
        fetch(`${base}${url}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      // Saved in a zone that is not the browser's: times are shown and entered in Tokyo's.
      const zone = 'Asia/Tokyo';
      expect((await call('PUT', `/users/${name}/notification-preferences`, { timezone: zone, channels: ['web'] })).status).toBe(200);
      await tab.goto(`${base}/#/notifications`);
      await tab.locator('#mine-state', { hasText: 'None yet' }).waitFor({ timeout: 10_000 });
      await tab.locator('#send-zone', { hasText: zone }).waitFor({ timeout: 10_000 });
      const now = Date.now(); // one "now" for the whole test: times computed later must not cross a minute
      const at = (ms: number) => Math.floor((now + ms) / 60_000) * 60_000;
      for (const [title, when] of [
        ['first', at(3_600_000)],
        ['second', at(7_200_000)],
      ] as const) {
        await tab.getByLabel('Title').fill(title);
        await tab.getByLabel('Send at').fill(wallClock(zone, when));
        await tab.getByRole('button', { name: 'Schedule', exact: true }).click();
        await tab.locator('#mine li', { hasText: title }).waitFor({ timeout: 10_000 });
      }
      const listed = async () =>
        ((await (await call('GET', '/notifications')).json()) as { notifications: { notificationId: string; title: string; sendAt: string; status: string }[] })
          .notifications;
      // What was entered on Tokyo's clock is the instant the API holds.
      expect(Object.fromEntries((await listed()).map((n) => [n.title, Date.parse(n.sendAt)]))).toEqual({ first: at(3_600_000), second: at(7_200_000) });

      await tab.reload();
      for (const title of ['first', 'second']) await tab.locator('#mine li[data-status="SCHEDULED"]', { hasText: title }).waitFor({ timeout: 10_000 });
      // Shown on Tokyo's clock, as the browser's locale writes times.
      const tokyoTime = await tab.evaluate(([t, z]) => new Intl.DateTimeFormat(undefined, { timeStyle: 'medium', timeZone: z }).format(t), [
        at(3_600_000),
        zone,
      ] as const);
      expect(await tab.locator('#mine li', { hasText: 'first' }).locator('.state').textContent()).toContain(tokyoTime);
      // Each has its own Cancel and Reschedule.
      await tab.locator('#mine li', { hasText: 'first' }).getByRole('button', { name: 'Cancel' }).click();
      await tab.locator('#mine li[data-status="CANCELLED"]', { hasText: 'first' }).waitFor({ timeout: 10_000 });
      await tab.locator('#notify-outcome', { hasText: 'Cancelled' }).waitFor();
      const second = tab.locator('#mine li', { hasText: 'second' });
      const later = at(3 * 3_600_000);
      await second.getByLabel('New time').fill(wallClock(zone, later));
      await second.getByRole('button', { name: 'Reschedule' }).click();
      // The old message goes when the new action starts; the new one says what happened.
      await tab.locator('#notify-outcome', { hasText: 'Rescheduled' }).waitFor({ timeout: 10_000 });
      expect(await tab.locator('#notify-outcome').textContent()).not.toContain('Cancelled');
      expect((await listed()).find((n) => n.title === 'second')).toMatchObject({ status: 'SCHEDULED', sendAt: new Date(later).toISOString() });
      expect((await listed()).find((n) => n.title === 'first')).toMatchObject({ status: 'CANCELLED' });

      // Filtered by status.
      await tab.getByLabel('Show').selectOption('CANCELLED');
      await tab.locator('#mine li', { hasText: 'first' }).waitFor({ timeout: 10_000 });
      await tab.locator('#mine li', { hasText: 'second' }).waitFor({ state: 'detached', timeout: 10_000 });
      expect(await tab.locator('#mine li').count()).toBe(1);
      await tab.getByLabel('Show').selectOption('');

      // Paged: ten at a time, the rest on "Show more".
      const batch = Array.from({ length: 10 }, (_, i) => ({
        notificationId: uniqueId('bulk'),
        userId: name,
        channel: 'web',
        sendAt: new Date(at(4 * 3_600_000 + i * 60_000)).toISOString(),
        title: `bulk ${i}`,
        body: 'b',
      }));
      expect((await call('POST', '/notifications/batch', { notifications: batch })).status).toBe(202);
      await tab.reload();
      await tab.locator('#mine li').nth(9).waitFor({ timeout: 10_000 });
      expect(await tab.locator('#mine li').count()).toBe(10);
      await tab.getByRole('button', { name: 'Show more' }).click();
      await tab.locator('#mine li').nth(11).waitFor({ timeout: 10_000 });
      expect(await tab.getByRole('button', { name: 'Show more' }).isHidden()).toBe(true);
      for (const n of batch) await call('DELETE', `/notifications/${n.notificationId}`);
      await call('DELETE', `/notifications/${(await listed()).find((n) => n.title === 'second')!.notificationId}`);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('Notifications (2): quiet hours with a missing end are refused in words; one due in quiet hours shows DEFERRED until they end', async () => {
    const name = uniqueId('quiet-user');
    const { context, tab } = await signedIn(name);
    try {
      await tab.goto(`${base}/#/notifications`);
      await tab.locator('#prefs-state', { hasText: 'Not set yet' }).waitFor({ timeout: 10_000 });
      await tab.getByLabel('web').check();
      await tab.getByLabel('Time zone').fill('UTC');
      const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
      await tab.getByLabel('Quiet hours from').fill(hhmm(Date.now() - 3_600_000));
      const puts: string[] = [];
      tab.on('request', (r) => {
        if (r.method() === 'PUT') puts.push(r.url());
      });
      await tab.getByRole('button', { name: 'Save preferences' }).click();
      await tab.locator('[data-error-for="quietHours"]', { hasText: 'Quiet hours need both ends' }).waitFor({ timeout: 5_000 });
      expect(puts).toEqual([]);
      const end = Date.now() + 2 * 3_600_000;
      await tab.getByLabel('to', { exact: true }).fill(hhmm(end));
      expect(await tab.locator('[data-error-for="quietHours"]').textContent()).toBe(''); // cleared once fixed
      await tab.getByRole('button', { name: 'Save preferences' }).click();
      await tab.locator('#prefs-state', { hasText: 'times in UTC' }).waitFor({ timeout: 10_000 });
      await tab.getByLabel('Title').fill('in quiet hours');
      await tab.getByLabel('Send at').fill(wallClock('UTC', Date.now() + 3_000));
      await tab.getByRole('button', { name: 'Schedule', exact: true }).click();
      const row = tab.locator('#mine li', { hasText: 'in quiet hours' });
      await row.locator('.state', { hasText: 'Deferred until' }).waitFor({ timeout: 30_000 });
      expect(await row.getAttribute('data-status')).toBe('DEFERRED');
      const endsAt = Math.floor(end / 60_000) * 60_000;
      expect(await row.locator('.state').textContent()).toContain(
        await tab.evaluate((t) => new Intl.DateTimeFormat(undefined, { timeStyle: 'medium', timeZone: 'UTC' }).format(t), endsAt),
      );
      await row.getByRole('button', { name: 'Cancel' }).click();
      await tab.locator('#mine li[data-status="CANCELLED"]', { hasText: 'in quiet hours' }).waitFor({ timeout: 10_000 });
    } finally {
      await context.close();
    }
  }, 60_000);

  it('Errors (4): each form says what is wrong in a sentence beside the field, in the user’s money, and clears it once fixed; the ledger takes a decimal comma where the locale writes one', async () => {
    await page.goto(`${base}/#/purchase`);
    const { products } = (await (await asUser('GET', '/products')).json()) as {
      products: { productId: string; name: string; priceCents: number; currency: string; minAmountCents: number; maxAmountCents: number }[];
    };
    const phone = products.find((p) => p.productId === 'phone-x')!;
    const inMoney = (cents: number) =>
      page.evaluate(([c, cur]) => new Intl.NumberFormat(undefined, { style: 'currency', currency: cur }).format(c / 100), [cents, phone.currency] as const);
    // The picker shows each product's price.
    await page
      .locator('select[name="productId"] option[value="phone-x"]', { hasText: await inMoney(phone.priceCents) })
      .waitFor({ state: 'attached', timeout: 10_000 });
    await page.getByLabel('Product').selectOption('phone-x');
    for (const quantity of ['0', '100']) {
      await page.getByLabel('Quantity').fill(quantity);
      await page.getByRole('button', { name: 'Simulate' }).click();
      const error = page.locator('[data-error-for="quantity"]');
      await page.locator('[data-error-for="quantity"]', { hasText: 'Choose a quantity from 1 to' }).waitFor({ timeout: 10_000 });
      const text = (await error.textContent())!;
      expect(text).toContain(await inMoney(phone.priceCents));
      expect(text).toContain(await inMoney(phone.maxAmountCents));
      expect(text).not.toMatch(/Too small|cents|expected|quantity:/);
    }
    await page.getByLabel('Quantity').fill('1');
    expect(await page.locator('[data-error-for="quantity"]').textContent()).toBe('');
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.locator('#quote', { hasText: '×' }).waitFor({ timeout: 10_000 });

    // An API refusal (a term the page did not check) is said in words too, not "field: …".
    await page.goto(`${base}/#/events`);
    await page.getByLabel('Type').fill('no spaces allowed');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('[data-error-for="type"]', { hasText: 'like order.created' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-error-for="type"]').textContent()).not.toContain('type:');
    await page.getByLabel('Type').fill('order.created');
    expect(await page.locator('[data-error-for="type"]').textContent()).toBe('');

    // Ledger in Brazilian Portuguese: "1,50" is one real and fifty centavos.
    const { context, tab } = await signedIn(uniqueId('merchant-br'), { locale: 'pt-BR' });
    try {
      await tab.goto(`${base}/#/ledger`);
      await tab.getByLabel('Amount').fill('1,234');
      await tab.getByRole('button', { name: 'Post entry' }).click();
      await tab.locator('[data-error-for="amount"]', { hasText: 'at most 2 decimal places, like 12,34' }).waitFor({ timeout: 10_000 });
      await tab.getByLabel('Amount').fill('1,50');
      expect(await tab.locator('[data-error-for="amount"]').textContent()).toBe('');
      await tab.getByRole('button', { name: 'Post entry' }).click();
      await tab.locator('.balance[data-currency="BRL"][data-pending="0"][data-closing="1.50"]').waitFor({ timeout: 30_000 });
      expect(await tab.locator('.balance[data-currency="BRL"] .closing').textContent()).toBe(
        await tab.evaluate(() => new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' }).format(1.5)),
      );
    } finally {
      await context.close();
    }
  }, 90_000);

  it('Purchase (3): a rejection is told to the customer in safe words, never the risk engine’s reasons', async () => {
    await page.goto(`${base}/#/purchase`);
    const internal = 'risk score 0.93 > 0.80 (rule R17: device velocity)';
    // The purchase as the API would describe a rejected one (the rendering is what is tested here).
    await page.route(/\/purchases\/[^/?]+$/, async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const res = await route.fetch();
      const body = (await res.json()) as { timeline: { status: string; at: string; detail: string | null }[] };
      const at = new Date().toISOString();
      body.timeline = [...body.timeline.filter((h) => h.status === 'RECEIVED' || h.status === 'PENDING'), { status: 'REJECTED', at, detail: internal }];
      return route.fulfill({ response: res, json: body });
    });
    try {
      await page.getByRole('button', { name: 'Contract' }).click();
      await page.locator('#timeline li[data-status="REJECTED"]').waitFor({ timeout: 15_000 });
      expect(await page.locator('#timeline li[data-status="REJECTED"]').textContent()).toContain('We could not approve this purchase');
      expect(await page.locator('#page').textContent()).not.toContain('risk score');
    } finally {
      await page.unroute(/\/purchases\/[^/?]+$/);
      await page.goto(`${base}/#/events`); // the next test starts the purchase page afresh
    }
  }, 30_000);

  it('Purchase: a double click on Contract makes one purchase (one request, one Idempotency-Key)', async () => {
    const count = async () => ((await (await asUser('GET', '/purchases?limit=100')).json()) as { purchases: unknown[] }).purchases.length;
    const before = await count();
    await page.goto(`${base}/#/purchase`);
    const posts: (string | null)[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/purchases') posts.push(r.headers()['idempotency-key'] ?? null);
    });
    await page.getByRole('button', { name: 'Contract' }).dblclick();
    await page.locator('#purchase-link code').waitFor({ timeout: 15_000 });
    expect(posts).toHaveLength(1);
    expect(await count()).toBe(before + 1);
  }, 30_000);

  it('Purchase: on a 503 the user is told what to do, and Retry sends the same Idempotency-Key', async () => {
    await page.goto(`${base}/#/purchase`);
    const keys: string[] = [];
    let refused = false;
    await page.route('**/purchases', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (refused) return route.continue();
      refused = true;
      return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'busy' } }) });
    });
    try {
      await page.getByRole('button', { name: 'Contract' }).click();
      await page.locator('#purchase-retry-box', { hasText: 'retry' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('body').textContent()).not.toContain('Idempotency-Key');
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.locator('#purchase-link code').waitFor({ timeout: 15_000 });
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
      // A new intent (the next Contract) gets a key of its own.
      await page.getByRole('button', { name: 'Contract' }).click();
      await page.waitForFunction(() => document.querySelector('#purchase-form')?.getAttribute('aria-busy') === 'false');
      await page.locator('#purchase-link code').waitFor();
      expect(keys).toHaveLength(3);
      expect(keys[2]).not.toBe(keys[0]);
    } finally {
      await page.unroute('**/purchases');
    }
  }, 30_000);

  it('Sessions: the header says who is signed in; an expired or refused token leads to sign-in with a message; sign-out', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    try {
      await other.goto(base);
      const name = uniqueId('session-user');
      await other.getByLabel('Demo user').fill(name);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.locator('#whoami', { hasText: name }).waitFor({ timeout: 10_000 });
      // Empty state for a user with no history.
      await other.goto(`${base}/#/notifications`);
      await other.locator('#inbox-state', { hasText: 'No notifications yet' }).waitFor({ timeout: 10_000 });

      // Expired (its exp is past): caught before any call, on load.
      const session = JSON.parse((await other.evaluate(() => sessionStorage.getItem('tidings.session'))) ?? '{}') as { userId: string; token: string };
      const [h, , sig] = session.token.split('.');
      const claims = (exp: number) => Buffer.from(JSON.stringify({ sub: name, exp })).toString('base64url');
      const expired = `${h}.${claims(Math.floor(Date.now() / 1000) - 60)}.${sig}`;
      await other.evaluate((s) => sessionStorage.setItem('tidings.session', s), JSON.stringify({ ...session, token: expired }));
      await other.reload();
      await other.locator('#signin-notice', { hasText: 'session expired' }).waitFor({ timeout: 10_000 });
      expect(await other.locator('#whoami').count()).toBe(0);
      // The form offers the user who was signed in.
      expect(await other.getByLabel('Demo user').inputValue()).toBe(name);
      await other.locator('#signin-notice', { hasText: `You were signed in as ${name}` }).waitFor();

      // Garbage (not a token at all): not called "expired".
      await other.evaluate((s) => sessionStorage.setItem('tidings.session', s), JSON.stringify({ ...session, token: 'garbage' }));
      await other.reload();
      await other.locator('#signin-notice', { hasText: 'please sign in again' }).waitFor({ timeout: 10_000 });
      expect(await other.locator('#signin-notice').textContent()).not.toContain('expired');

      // Refused by the API (401: revoked, or a bad signature): the same way out, not a dead page.
      const refused = `${h}.${claims(Math.floor(Date.now() / 1000) + 3600)}.${sig}`;
      await other.evaluate((s) => sessionStorage.setItem('tidings.session', s), JSON.stringify({ ...session, token: refused }));
      await other.goto(`${base}/#/notifications`);
      await other.reload();
      await other.locator('#signin-notice', { hasText: 'not accepted: please sign in again' }).waitFor({ timeout: 10_000 });
      expect(await other.locator('#signin-notice').textContent()).not.toContain('expired');
      expect(await other.locator('#connection').textContent()).not.toContain('reconnecting');
      expect(await other.getByLabel('Demo user').inputValue()).toBe(name);

      await other.getByLabel('Demo user').fill(name);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.getByRole('button', { name: 'Sign out' }).click();
      await other.locator('#signin-notice', { hasText: 'signed out' }).waitFor({ timeout: 10_000 });
      expect(await other.evaluate(() => sessionStorage.getItem('tidings.session'))).toBeNull();
    } finally {
      await context.close();
    }
  }, 60_000);

  it('Shell (5): each page has its own title and the app a favicon; the connection state stays in view when scrolled, with Retry now while reconnecting', async () => {
    const titles: Record<string, string> = {
      purchase: 'Purchase',
      chat: 'Chat',
      events: 'Events',
      ledger: 'Ledger',
      notifications: 'Notifications',
      'no-such-page': 'Page not found',
    };
    for (const [hash, title] of Object.entries(titles)) {
      await page.goto(`${base}/#/${hash}`);
      await expect.poll(() => page.title()).toBe(`${title} · Tidings`);
    }
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/);

    const context = await browser.newContext({ viewport: { width: 390, height: 700 } });
    const other = await context.newPage();
    let down = false;
    const live: WebSocketRoute[] = [];
    await other.routeWebSocket(/\/ws/, (ws) => {
      if (down) return void ws.close({ code: 4000, reason: 'test: network down' });
      ws.connectToServer();
      live.push(ws);
    });
    try {
      await other.goto(base);
      const name = uniqueId('scroll-user');
      await other.getByLabel('Demo user').fill(name);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.locator('#connection[data-state="open"]').waitFor({ timeout: 15_000 });
      await other.goto(`${base}/#/notifications`);
      await other.locator('#connection[data-state="open"]').waitFor({ timeout: 15_000 });
      await other.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      expect(await other.evaluate(() => window.scrollY)).toBeGreaterThan(300);
      const inView = () =>
        other.evaluate(() => {
          const r = document.querySelector('#connection')!.getBoundingClientRect();
          return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
        });
      expect(await inView()).toBe(true);
      expect(await other.getByRole('button', { name: 'Retry now' }).isVisible()).toBe(false);

      // Down: the client backs off further each time; Retry now does not wait for it.
      down = true;
      await live.pop()!.close({ code: 4000, reason: 'test: network down' });
      await other.locator('#connection', { hasText: /reconnecting in ([3-9]|\d\d) s/ }).waitFor({ timeout: 20_000 });
      expect(await inView()).toBe(true);
      down = false;
      const clicked = Date.now();
      await other.getByRole('button', { name: 'Retry now' }).click();
      await other.locator('#connection[data-state="open"]').waitFor({ timeout: 2_000 });
      expect(Date.now() - clicked).toBeLessThan(2_000);
      expect(await other.getByRole('button', { name: 'Retry now' }).isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('an unknown route shows a 404 view, not another page', async () => {
    await page.goto(`${base}/#/no-such-page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#purchase-form').count()).toBe(0);
  }, 30_000);

  /** A user signed in on a page of their own (a browser context each: their own sessionStorage). */
  const signedIn = async (name: string, options: BrowserContextOptions = {}) => {
    const context = await browser.newContext(options);
    return { context, tab: await anotherTab(context, name) };
  };
  /** Another tab of the same user (sessionStorage is per tab: it signs in too). */
  const anotherTab = async (context: BrowserContext, name: string) => {
    const tab = await context.newPage();
    await tab.goto(base);
    await tab.getByLabel('Demo user').fill(name);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.locator('#whoami', { hasText: name }).waitFor({ timeout: 10_000 });
    return tab;
  };
  const startChat = async (tab: Page, other: string) => {
    await tab.getByLabel('Talk to (user)').fill(other);
    await tab.getByRole('button', { name: 'Start conversation' }).click();
    await tab.getByLabel('Message', { exact: true }).waitFor();
  };
  const send = async (tab: Page, text: string) => {
    await tab.getByLabel('Message', { exact: true }).fill(text);
    await tab.getByRole('button', { name: 'Send' }).click();
    await tab.locator('#messages li', { hasText: text }).waitFor({ timeout: 10_000 });
  };

  it('Chat (1): a new conversation appears live in the other member’s list, on every open tab, and moves with its last message and unread count', async () => {
    const [aliceId, bobId, carolId] = [uniqueId('alice'), uniqueId('bob'), uniqueId('carol')];
    const alice = await signedIn(aliceId);
    const bob = await signedIn(bobId);
    const carol = await signedIn(carolId);
    try {
      const bobTab2 = await anotherTab(bob.context, bobId);
      for (const tab of [bob.tab, bobTab2]) {
        await tab.goto(`${base}/#/chat`);
        await tab.locator('#conversations-state', { hasText: 'No conversations yet' }).waitFor({ timeout: 10_000 });
        await tab.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
      }
      await alice.tab.goto(`${base}/#/chat`);
      await startChat(alice.tab, carolId); // an older conversation, so the order can be seen to change
      await send(alice.tab, 'hi Carol');
      await startChat(alice.tab, bobId);
      // Both of Bob's tabs gain it without a reload.
      for (const tab of [bob.tab, bobTab2]) await tab.locator('#conversations .conv-name', { hasText: aliceId }).waitFor({ timeout: 10_000 });
      await send(alice.tab, 'olá, Bob');
      for (const tab of [bob.tab, bobTab2]) {
        const li = tab.locator('#conversations li').first();
        await li.locator('.preview', { hasText: 'olá, Bob' }).waitFor({ timeout: 10_000 });
        await li.locator('.unread[data-unread="1"]').waitFor({ timeout: 10_000 });
        expect(await tab.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      }
      // Alice's list moves too: Carol's conversation first once Carol writes.
      await carol.tab.goto(`${base}/#/chat`);
      await carol.tab.locator('#conversations button[data-conversation]').first().click();
      await send(carol.tab, 'hello back');
      await alice.tab.locator('#conversations li').first().locator('.preview', { hasText: 'hello back' }).waitFor({ timeout: 10_000 });
      // Bob reads in one tab: the other tab's unread count goes too.
      await bob.tab.locator('#conversations button[data-conversation]').first().click();
      await bob.tab.locator('#messages li', { hasText: 'olá, Bob' }).waitFor({ timeout: 10_000 });
      await bobTab2.locator('#conversations .unread').waitFor({ state: 'detached', timeout: 10_000 });
      // Every conversation here is WhatsApp: the channel is not repeated on each.
      expect(await alice.tab.locator('#conversations').textContent()).not.toMatch(/whatsapp/i);
    } finally {
      await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
    }
  }, 90_000);

  it('Chat (1, 5): SENT, DELIVERED, then READ in words and shape; a reload keeps the open thread; yourself and unknown users are refused in words', async () => {
    const bobId = uniqueId('bob');
    const bob = await signedIn(bobId);
    try {
      await page.goto(`${base}/#/chat`);
      const me = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('tidings.session') ?? '{}') as { userId: string }).userId);
      // Refused before anything is made: yourself, and someone who has never signed in.
      await page.getByLabel('Talk to (user)').fill(me);
      await page.getByRole('button', { name: 'Start conversation' }).click();
      await page.locator('[data-error-for="members"]', { hasText: 'That is you' }).waitFor({ timeout: 10_000 });
      const nobody = uniqueId('nobody');
      await page.getByLabel('Talk to (user)').fill(nobody);
      expect(await page.locator('[data-error-for="members"]').textContent()).toBe(''); // cleared once changed
      await page.getByRole('button', { name: 'Start conversation' }).click();
      await page.locator('[data-error-for="members"]', { hasText: `there is no user “${nobody}”` }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#thread').isHidden()).toBe(true);

      await startChat(page, bobId);
      await send(page, 'olá, Bob');
      await page.locator('#messages li[data-status="DELIVERED"]').waitFor({ timeout: 30_000 });
      const delivered = page.locator('#messages li .tick').first();
      expect(await delivered.textContent()).toBe('✓✓');
      expect(await delivered.getAttribute('aria-label')).toBe('Delivered');

      await bob.tab.goto(`${base}/#/chat`);
      await bob.tab.locator('button[data-conversation]').first().click();
      await bob.tab.locator('#messages li', { hasText: 'olá, Bob' }).waitFor({ timeout: 10_000 });
      await bob.tab.locator('#conversations .conv-name', { hasText: me }).waitFor();

      // READ is not only a colour: the word, and a blue of at least 3:1 against the bubble.
      await page.locator('#messages li[data-status="READ"]').waitFor({ timeout: 30_000 });
      const tick = page.locator('#messages li .tick').first();
      expect(await tick.textContent()).toBe('✓✓Read');
      expect(await tick.getAttribute('aria-label')).toBe('Read');
      const contrast = await tick.evaluate((el) => {
        const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
        const lum = (c: string) => {
          const [r, g, b] = rgb(c).map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4)) as [number, number, number];
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const [a, b] = [lum(getComputedStyle(el).color), lum(getComputedStyle(el.closest('li')!).backgroundColor)];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      });
      expect(contrast).toBeGreaterThanOrEqual(3);
      expect(await page.locator('#messages li time').first().getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);

      // The open thread is in the URL: a reload shows it again.
      expect(page.url()).toMatch(/#\/chat\/[0-9a-f-]{36}$/);
      await page.reload();
      await page.locator('#messages li[data-status="READ"]', { hasText: 'olá, Bob' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#msg-h').textContent()).toContain(bobId);

      // Starting again with Bob opens the same conversation instead of a second one.
      const conversationsBefore = await page.locator('#conversations li').count();
      await page.getByLabel('Talk to (user)').fill(bobId);
      await page.getByRole('button', { name: 'Start conversation' }).click();
      await page.locator('#start-outcome', { hasText: 'already have a conversation' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#conversations li').count()).toBe(conversationsBefore);
      expect(await page.locator('#messages li').count()).toBe(1);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'chat-thread-desktop.png'), fullPage: true });
    } finally {
      await bob.context.close();
    }
  }, 90_000);

  it('Chat (6): at phone width an open conversation shows the thread, not the list, with a way back', async () => {
    const [aliceId, bobId] = [uniqueId('alice'), uniqueId('bob')];
    const bob = await signedIn(bobId);
    const alice = await signedIn(aliceId, { viewport: { width: 390, height: 844 } });
    try {
      await alice.tab.goto(`${base}/#/chat`);
      await startChat(alice.tab, bobId);
      await send(alice.tab, 'on the phone');
      expect(await alice.tab.locator('#conversations').isVisible()).toBe(false);
      expect(await alice.tab.locator('#new-conversation').isVisible()).toBe(false);
      expect(await alice.tab.locator('#thread').isVisible()).toBe(true);
      // The thread starts at the top of the screen, not below the list.
      expect((await alice.tab.locator('#thread').boundingBox())!.y).toBeLessThan(400);
      await alice.tab.screenshot({ path: path.join(SCREENSHOTS, 'chat-thread-phone.png'), fullPage: true });
      await alice.tab.getByRole('button', { name: 'Conversations' }).click();
      await alice.tab.locator('#conversations .conv-name', { hasText: bobId }).waitFor();
      expect(await alice.tab.locator('#thread').isVisible()).toBe(false);
      expect(alice.tab.url()).toMatch(/#\/chat$/);
      // At desktop width both stay side by side, and there is no Back button.
      await alice.tab.setViewportSize({ width: 1280, height: 900 });
      await alice.tab.locator('#conversations button[data-conversation]').first().click();
      expect(await alice.tab.locator('#conversations').isVisible()).toBe(true);
      expect(await alice.tab.getByRole('button', { name: 'Conversations' }).isVisible()).toBe(false);
    } finally {
      await Promise.all([alice.context.close(), bob.context.close()]);
    }
  }, 60_000);

  it('Purchase: the history survives a reload; Cancel works while PENDING, and the run link opens the purchase’s own run', async () => {
    await page.goto(`${base}/#/purchase`);
    await page.reload();
    await page.locator('#history li').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('#history-state').isHidden()).toBe(true);
    // Fulfillment takes seconds, as it does for users: the purchase waits PENDING and can be cancelled.
    await page.getByRole('button', { name: 'Contract' }).click();
    await page.locator('#timeline li[data-status="PENDING"]').waitFor({ timeout: 10_000 });
    const purchaseId = await page.locator('#purchase-link code').textContent();
    expect(await page.getByRole('link', { name: 'run in the Temporal Web UI' }).getAttribute('href')).toContain(
      `/workflows/${encodeURIComponent(`${testEnv()}.purchase-${purchaseId}`)}`,
    );
    await page.getByRole('button', { name: 'Cancel this purchase' }).click();
    await page.locator('#cancel-outcome', { hasText: 'Cancelled: you will not be charged' }).waitFor({ timeout: 10_000 });
    await page.locator('#timeline li[data-status="CANCELLED"]').waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Cancel this purchase' }).isHidden()).toBe(true);
    // Fulfillment, which had not started, says nothing more: no PROCESSING after the cancel.
    await new Promise((r) => setTimeout(r, 3_500)); // time passing is the point: fulfillment's delay runs out
    expect(await page.locator('#timeline li[data-status="PROCESSING"]').count()).toBe(0);
  }, 30_000);

  it('Purchase: once fulfillment has started (PROCESSING) the Cancel button is gone, and the purchase completes', async () => {
    await page.goto(`${base}/#/purchase`);
    await page.getByRole('button', { name: 'Contract' }).click();
    await page.locator('#timeline li[data-status="PROCESSING"]').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Cancel this purchase' }).isHidden()).toBe(true);
    await page.locator('#timeline li[data-status="COMPLETED"]').waitFor({ timeout: 15_000 });
  }, 40_000);

  it('Live updates missed while the gateway connection was down arrive after the reconnect, without a reload (ledger and user channels)', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    // The page's gateway socket goes through this route. While `down`, a new connection is held
    // open without an answer (as a dead network would); `up()` fails the held ones, so the client
    // reconnects (to the server) on its next, short backoff.
    let down = false;
    const held: WebSocketRoute[] = [];
    const live: WebSocketRoute[] = [];
    const subscribed: { channel: string; recovered: boolean; replayed: number }[] = [];
    await other.routeWebSocket(/\/ws/, (ws) => {
      if (down) return void held.push(ws);
      const server = ws.connectToServer();
      server.onMessage((m) => {
        const frame = JSON.parse(String(m)) as { type: string; channel: string; recovered: boolean; replayed: number };
        if (frame.type === 'subscribed') subscribed.push(frame);
        ws.send(m);
      });
      live.push(ws);
    });
    const drop = async () => {
      down = true;
      await live.pop()!.close({ code: 4000, reason: 'test: network down' });
      await other.locator('#connection:not([data-state="open"])').waitFor({ timeout: 5_000 });
    };
    const up = async () => {
      down = false;
      for (const ws of held.splice(0)) await ws.close({ code: 4000, reason: 'test: network back' });
    };
    try {
      await other.goto(base);
      const name = uniqueId('reconnect-user');
      await other.getByLabel('Demo user').fill(name);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.locator('#whoami', { hasText: name }).waitFor({ timeout: 10_000 });
      const { token } = JSON.parse((await other.evaluate(() => sessionStorage.getItem('tidings.session'))) ?? '{}') as { token: string };
      const call = (method: string, url: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${base}${url}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      const requests: string[] = [];
      other.on('request', (r) => requests.push(new URL(r.url()).pathname));

      // The ledger channel: an entry posted (elsewhere) and consolidated while the page is offline.
      await other.goto(`${base}/#/ledger`);
      await other.locator('#report', { hasText: 'No entries' }).waitFor({ timeout: 10_000 });
      await expect.poll(() => subscribed.some((f) => f.channel === ledgerChannel(name)), { timeout: 10_000 }).toBe(true);
      await other.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
      await drop();
      const day = await other.getByLabel('Date').inputValue();
      expect((await call('POST', '/ledger/entries', { type: 'credit', amount: '5.25', currency: 'EUR', description: 'offline', occurredAt: day })).status).toBe(
        201,
      );
      await expect
        .poll(
          async () => (await (await fetch(`${base}/ledger/balances/daily?date=${day}`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown,
          { timeout: 20_000 },
        )
        .toMatchObject({ days: [{ currency: 'EUR', closing: '5.25', pendingEntries: 0 }] });
      const reportRequests = requests.filter((p) => p.startsWith('/ledger/balances')).length;
      await up();
      await other.locator('.balance[data-currency="EUR"][data-closing="5.25"]').waitFor({ timeout: 20_000 });
      // Replayed by the gateway from the page's last offset, not refetched.
      expect(requests.filter((p) => p.startsWith('/ledger/balances')).length).toBe(reportRequests);
      expect(subscribed.filter((f) => f.channel === ledgerChannel(name)).at(-1)).toMatchObject({ recovered: true });
      expect(subscribed.filter((f) => f.channel === ledgerChannel(name)).at(-1)!.replayed).toBeGreaterThan(0);

      // The user's own channel (resumed at the upgrade): a purchase made elsewhere while offline.
      await other.evaluate(() => (location.hash = '#/purchase'));
      await other.locator('#history-state', { hasText: 'No purchases yet' }).waitFor({ timeout: 10_000 });
      await drop();
      const made = (await (
        await call('POST', '/purchases', { productId: 'gift-card-100', quantity: 1, installments: 1 }, { 'idempotency-key': uniqueId('k') })
      ).json()) as { purchaseId: string };
      await expect
        .poll(
          async () =>
            ((await (await fetch(`${base}/purchases/${made.purchaseId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string })
              .status,
          { timeout: 20_000 },
        )
        .toBe('COMPLETED');
      await up();
      await other.locator(`#history li[data-purchase-id="${made.purchaseId}"][data-status="COMPLETED"]`).waitFor({ timeout: 20_000 });
      expect(subscribed.filter((f) => f.channel === userChannel(name)).at(-1)).toMatchObject({ recovered: true });
      expect(subscribed.filter((f) => f.channel === userChannel(name)).at(-1)!.replayed).toBeGreaterThan(0);
      expect(await other.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('every page at desktop and phone width: no sideways scrolling; screenshots in .data/screenshots/', async () => {
    const pages = ['purchase', 'chat', 'events', 'ledger', 'notifications', 'no-such-page'];
    for (const [width, height, suffix] of [
      [1280, 900, 'desktop'],
      [390, 844, 'phone'],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const name of pages) {
        await page.goto(`${base}/#/${name}`);
        await page.reload();
        await page.locator('#connection[data-state="open"]').waitFor({ timeout: 15_000 });
        // Loaded: no list or card still says it is loading.
        await page.waitForFunction(() => !/Loading/.test(document.querySelector('#page')?.textContent ?? ''), undefined, { timeout: 15_000 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} at ${width} px`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${suffix}.png`), fullPage: true });
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 90_000);

  it('a list that cannot load says so in words (not "Failed to fetch"), on every page with a history', async () => {
    const lists: [string, string, RegExp][] = [
      ['purchase', '#history-state', /\/purchases\?/],
      ['events', '#events-state', /\/events\?/],
      ['chat', '#conversations-state', /\/conversations$/],
      ['notifications', '#inbox-state', /\/notifications\?/],
    ];
    for (const [name, state, url] of lists) {
      await page.route(url, (route) => route.abort('internetdisconnected'));
      try {
        await page.goto(`${base}/#/${name}`);
        await page.reload();
        await page.locator(state, { hasText: 'Could not reach the server: check your connection' }).waitFor({ timeout: 10_000 });
        expect(await page.locator('#page').textContent()).not.toContain('Failed to fetch');
      } finally {
        await page.unroute(url);
      }
    }
  }, 30_000);

  it('keyboard: the page heading takes focus on navigation, and Tab reaches the first control', async () => {
    await page.goto(`${base}/#/events`);
    await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('page');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('type');
  }, 30_000);
});
