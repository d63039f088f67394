// The whole system as `npm start` runs it (main.ts, every role in one process) on free ports, with
// a headless Chromium signed in to its web app: what the browser tests (test/web*.test.ts) drive.
import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, ROOT, testEnv, uniqueId } from './context';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface WebSystem {
  base: string;
  browser: Browser;
  /** A new page signed in as `userId`, its gateway connection open. */
  signedIn(userId?: string): Promise<Page>;
  stop(): Promise<void>;
}

/** Starts main.ts with `env` on top of the test defaults, waits for /health, opens Chromium. */
export async function startWebSystem(env: Record<string, string> = {}): Promise<WebSystem> {
  const [apiPort, gatewayPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${apiPort}`;
  const system: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TIDINGS_ENV: testEnv(),
      LOG_LEVEL: 'warn',
      API_PORT: String(apiPort),
      GATEWAY_PORT: String(gatewayPort),
      PUBLIC_GATEWAY_URL: `ws://127.0.0.1:${gatewayPort}/ws`,
      TEMPORAL_TASK_QUEUE: uniqueId('web-test'),
      KAFKA_GROUP_PREFIX: uniqueId('web-test'),
      KAFKA_NEW_GROUP_FROM: 'latest',
      SELF_CHECK_ON_START: 'false',
      LEDGER_RELAY_ON_START: 'false',
      DEV_SIGN_IN: 'true',
      SQS_WAIT_SECONDS: '1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (system.exitCode !== null) return;
    const exited = new Promise((r) => system.once('exit', r));
    system.kill('SIGTERM');
    await exited;
  };
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/health`)).ok) break;
      } catch {
        if (i > 150 || system.exitCode !== null) throw new Error('the system did not start');
      }
      await new Promise((r) => setTimeout(r, 200)); // polling the start-up, 30 s at most
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return {
    base,
    browser,
    async signedIn(userId = uniqueId('web-user')) {
      const page = await browser.newPage();
      await page.goto(base);
      await page.getByLabel('Demo user').fill(userId);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#connection[data-state="open"]').waitFor({ timeout: 15_000 });
      return page;
    },
    async stop() {
      await browser.close();
      await stop();
    },
  };
}
