// The load generator's client, with a real client's retry rules: after a network error (the API
// killed, a connection reset, a request timed out) it waits and sends the same request again, with
// the same Idempotency-Key; after a 503 or 429 it waits what Retry-After says. Every answer is
// counted by route and status, and any answer a client could not act on is kept as a violation:
// a 5xx other than 503, or a 503/429 without Retry-After.
import http from 'node:http';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface Violation {
  at: number;
  route: string;
  status: number;
  detail: string;
}

export class ClientStats {
  /** route → status (or `network`) → count: every attempt. */
  readonly attempts = new Map<string, Map<string, number>>();
  /** Requests sent more than once (a retry of the same request). */
  retried = 0;
  /** Requests abandoned after the retry deadline. */
  gaveUp = 0;
  readonly violations: Violation[] = [];
  count(route: string, outcome: string): void {
    const byStatus = this.attempts.get(route) ?? new Map<string, number>();
    byStatus.set(outcome, (byStatus.get(outcome) ?? 0) + 1);
    this.attempts.set(route, byStatus);
  }
  totals(): Map<string, number> {
    const all = new Map<string, number>();
    for (const byStatus of this.attempts.values()) for (const [s, n] of byStatus) all.set(s, (all.get(s) ?? 0) + n);
    return all;
  }
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  /** The route's pattern, for the counts (`POST /purchases/:id/cancel`). */
  route: string;
  token: string;
  body?: unknown;
  idempotencyKey?: string;
}

export function createSoakClient(baseUrl: string, stats: ClientStats, { retryForMs = 180_000, timeoutMs = 20_000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const base = new URL(baseUrl);
  let closed = false;

  function once(spec: RequestSpec): Promise<{ status: number; retryAfter: string | undefined; text: string }> {
    const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          path: spec.path,
          method: spec.method,
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${spec.token}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
            ...(spec.idempotencyKey ? { 'idempotency-key': spec.idempotencyKey } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(payload);
    });
  }

  return {
    stats,
    /**
     * Sends until an answer that is not 503/429/5xx, or until `retryForMs` passed (then undefined).
     * A 4xx is an answer (the caller decides what it means).
     */
    async send<T = Record<string, unknown>>(spec: RequestSpec): Promise<Answer<T> | undefined> {
      const deadline = Date.now() + retryForMs;
      for (let attempt = 0; ; attempt++) {
        if (attempt === 1) stats.retried++;
        let wait: number;
        try {
          const res = await once(spec);
          stats.count(spec.route, String(res.status));
          if (res.status < 500 && res.status !== 429) {
            let body: T;
            try {
              body = JSON.parse(res.text) as T;
            } catch {
              body = {} as T;
            }
            return { status: res.status, body };
          }
          if ((res.status === 503 || res.status === 429) && res.retryAfter !== undefined && Number(res.retryAfter) >= 0) {
            wait = Number(res.retryAfter) * 1000;
          } else {
            stats.violations.push({
              at: Date.now(),
              route: spec.route,
              status: res.status,
              detail: `Retry-After ${res.retryAfter ?? 'missing'}: ${res.text.slice(0, 300)}`,
            });
            wait = Math.min(8_000, 500 * 2 ** attempt);
          }
        } catch (err) {
          stats.count(spec.route, 'network');
          void err;
          wait = Math.min(8_000, 250 * 2 ** attempt);
        }
        // Jitter, so that clients refused together do not come back together.
        wait = wait * (0.75 + Math.random() * 0.5);
        if (closed || Date.now() + wait > deadline) {
          stats.gaveUp++;
          return undefined;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    },
    close(): void {
      closed = true;
      agent.destroy();
    },
  };
}
export type SoakClient = ReturnType<typeof createSoakClient>;
