// The strongest comparison: Centrifugo (built from its Go module by scripts/infra/install-centrifugo.sh)
// on the same Redis, with the same JWTs. Each connection is subscribed server-side to its user's
// personal channel `#<user>`, which keeps a bounded history in Redis like Tidings' channel streams.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../platform/config';

export const CENTRIFUGO_API_KEY = 'bench-api-key';

/** Writes the config and starts Centrifugo on `port`; resolves once it answers /health. */
export function startCentrifugo(bin: string, config: Config, port: number): ChildProcess {
  const file = path.join(os.tmpdir(), `centrifugo-${config.TIDINGS_ENV}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      http_server: { address: '127.0.0.1', port },
      log: { level: 'error' },
      health: { enabled: true },
      // Redis engine on our Redis, under the bench environment's prefix (removed by its teardown).
      engine: { type: 'redis', redis: { address: [config.REDIS_URL], prefix: `${config.TIDINGS_ENV}:centrifugo` } },
      client: {
        token: { hmac_secret_key: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        subscribe_to_user_personal_channel: { enabled: true },
        allowed_origins: ['*'],
      },
      // The same bounded history per channel as the Tidings gateway's streams.
      channel: { without_namespace: { history_size: config.GATEWAY_STREAM_MAXLEN, history_ttl: `${config.GATEWAY_STREAM_TTL_SECONDS}s` } },
      http_api: { key: CENTRIFUGO_API_KEY },
    }),
  );
  return spawn(bin, ['--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Publishes through Centrifugo's HTTP server API. Publishes made in the same tick go in one
 * `/api/batch` request (as ioredis auto-pipelines the Tidings publisher's commands), so the Node
 * publisher's HTTP overhead is not what is measured.
 */
export function centrifugoPublisher(port: number): (channel: string, data: unknown) => Promise<void> {
  let queue: { publish: { channel: string; data: unknown } }[] = [];
  let flushing: Promise<void> | undefined;
  const flush = async () => {
    const commands = queue;
    queue = [];
    flushing = undefined;
    const res = await fetch(`http://127.0.0.1:${port}/api/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CENTRIFUGO_API_KEY },
      body: JSON.stringify({ commands }),
    });
    if (!res.ok) throw new Error(`centrifugo batch: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  return (channel, data) => {
    queue.push({ publish: { channel, data } });
    flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush);
    return flushing;
  };
}
