// The block a start ends with (README "First five minutes"): where everything is, how to sign in,
// and what to try. One block, printed by main.ts once its roles run, whether `npm start` started it
// (which passes when it began, so the figure includes installs) or it runs on its own.
import type { Config } from '../platform/config';

export interface UpFacts {
  roles: string[];
  /** The API's base URL when this process runs the api role (it serves the web app too). */
  api?: string;
  gateway?: string;
  /** Whether Jaeger's query API answered (on a first run it is still being built). */
  tracesUp: boolean;
  seconds: number;
}

/** The start-up block's text. */
export function upBlock(config: Pick<Config, 'TEMPORAL_UI_URL' | 'TRACING' | 'TRACING_UI_URL' | 'DEV_SIGN_IN'>, f: UpFacts): string {
  const head = `── Tidings is up in ${f.seconds} s (roles: ${f.roles.join(', ')})`;
  const lines = [`${head} ${'─'.repeat(Math.max(3, 76 - head.length))}`];
  if (f.api) lines.push(`Web app       ${f.api}/             API reference  ${f.api}/docs`);
  if (f.gateway) lines.push(`Gateway       ${f.gateway}`);
  lines.push(`Temporal UI   ${config.TEMPORAL_UI_URL}`);
  if (config.TRACING)
    lines.push(
      `Traces        the "Trace" link of each purchase, event and notification in the web app`,
      `              (Jaeger ${config.TRACING_UI_URL}${f.tracesUp ? '' : ': still building in the background, npm run infra:status'})`,
    );
  if (f.api && config.DEV_SIGN_IN)
    lines.push(
      `Sign in       any name on the web app's demo sign-in (alice, bob, …), one user per tab;`,
      `              for curl: npm run -s token -- alice`,
      `Try           1. Purchase: Simulate, then Contract; watch its status change live, then`,
      `                 open its Trace: the API, the workflow and the consumers, on one time axis.`,
      `              2. Chat: tab A as alice, tab B as bob; alice talks to bob and sends: ✓ sent,`,
      `                 ✓✓ delivered, blue ✓✓ once bob opens the conversation.`,
      `              3. Notifications: set Send at 30 s ahead, Schedule; it lands in the Inbox then.`,
    );
  lines.push('Stop with Ctrl-C (the servers keep running: npm run infra:down)');
  return `\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`;
}

/** Whether Jaeger's query API answers now (a short look: the block never waits on it). */
export async function jaegerAnswers(config: Pick<Config, 'TRACING_UI_URL'>): Promise<boolean> {
  try {
    return (await fetch(`${config.TRACING_UI_URL}/api/services`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}
