// Probe: what publishing an event to the gateway costs in Redis, in the publisher and in a
// subscriber that routes it, per event, for:
// - 'tidings': the publisher itself (gateway/publisher.ts: micro-batches, its script, per-channel
//   pub/sub names), with every channel's epoch cached first (its steady state);
// - 'per-channel': a bare script doing only what the common path must (XADD, the frame, PUBLISH to
//   the channel's name), driven without per-event promises: the floor under the publisher;
// - 'per-channel-derived': the same with the pub/sub name spelled in Lua from the stream key;
// - 'one-name': the same XADDs, and every frame of a call in one PUBLISH to one name, which a
//   gateway would split and route by the frame's channel (every instance then gets every event).
// Each variant runs in rounds, interleaved (VARIANTS=a,b picks them); the subscriber is a child
// process. To compare two versions of the publisher, keep the other one beside it under another
// name and add it as a variant (docs/gateway-hot-path.md).
// Usage: node --import tsx bench/probes/pubsub-batch.ts [events] [channels] [rounds]
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createPublisher, readLiveFrame } from '../../gateway/publisher';
import type { Presence } from '../../gateway/registry';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const [EVENTS, CHANNELS, ROUNDS] = [Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 10_000), Number(process.argv[4] ?? 2)];
const BATCH = 128;
const IN_FLIGHT = 8;

const common = `
local maxLen, ttl = ARGV[1], ARGV[2]
local out = {}
`;
// Per event: XADD NOMKSTREAM (the common path) and one PUBLISH to the channel's own name.
const PER_CHANNEL = `${common}
for i = 0, #KEYS - 1 do
  local a = 2 + i * 4
  local id = redis.call('XADD', KEYS[i + 1], 'MAXLEN', '~', maxLen, '*', 'f', ARGV[a + 2])
  redis.call('PUBLISH', ARGV[a + 3], ARGV[a + 1] .. id .. '","epoch":"' .. ARGV[a + 4] .. '"' .. ARGV[a + 2])
  out[i + 1] = id
end
return out`;
// As PER_CHANNEL, with the pub/sub name spelled in Lua from the stream key and a
// function call per event (what the publisher's script adds on its common path).
const PER_CHANNEL_DERIVED = `${common}
local prefix = string.sub(KEYS[1], 1, string.find(KEYS[1], 'stream:{', 1, true) - 1)
local nameAt = #prefix + 9
local function one(i)
  local stream = KEYS[i]
  local a = 2 + (i - 1) * 4
  local id = redis.call('XADD', stream, 'MAXLEN', '~', maxLen, '*', 'f', ARGV[a + 2])
  if not id then return '' end
  redis.call('PUBLISH', prefix .. 'ch:' .. string.sub(stream, nameAt, -2), ARGV[a + 1] .. id .. '","epoch":"' .. ARGV[a + 4] .. '"' .. ARGV[a + 2])
  return id
end
for i = 1, #KEYS do out[i] = one(i) end
return out`;
// Per event: the same XADD; the frames of the call leave in one PUBLISH, one per line.
const ONE_NAME = `${common}
local frames = {}
for i = 0, #KEYS - 1 do
  local a = 2 + i * 4
  local id = redis.call('XADD', KEYS[i + 1], 'MAXLEN', '~', maxLen, '*', 'f', ARGV[a + 2])
  frames[i + 1] = ARGV[a + 1] .. id .. '","epoch":"' .. ARGV[a + 4] .. '"' .. ARGV[a + 2]
  out[i + 1] = id
end
redis.call('PUBLISH', ARGV[3 + #KEYS * 4], table.concat(frames, '\\n'))
return out`;

type Variant = 'tidings' | 'per-channel' | 'per-channel-derived' | 'one-name';

if (process.env.PROBE_ROLE === 'subscriber') {
  const variant = process.env.VARIANT as Variant;
  const prefix = process.env.PREFIX!;
  const sub = new Redis(url, { enableAutoPipelining: false });
  const counts = new Map<string, number>();
  let total = 0;
  const route = (channel: string, raw: string) => {
    const frame = readLiveFrame(raw);
    if (!frame) throw new Error('unreadable frame');
    counts.set(channel, (counts.get(channel) ?? 0) + 1);
    total++;
  };
  const CHANNEL_AT = '{"type":"event","channel":"'.length;
  if (variant !== 'one-name') {
    const start = `${prefix}ch:`.length;
    sub.on('message', (name: string, raw: string) => route(name.slice(start), raw));
    for (let i = 0; i < CHANNELS; i += 1000)
      await sub.subscribe(...Array.from({ length: Math.min(1000, CHANNELS - i) }, (_, k) => `${prefix}ch:user:u${i + k}`));
  } else {
    sub.on('message', (_name: string, batch: string) => {
      let from = 0;
      for (;;) {
        const nl = batch.indexOf('\n', from);
        const raw = nl < 0 ? batch.slice(from) : batch.slice(from, nl);
        route(raw.slice(CHANNEL_AT, raw.indexOf('"', CHANNEL_AT)), raw);
        if (nl < 0) break;
        from = nl + 1;
      }
    });
    await sub.subscribe(`${prefix}gw`);
  }
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'cpu') process.send!({ cpu: process.cpuUsage(), total });
    if (m.cmd === 'exit') process.exit(0);
  });
  process.send!({ ready: true });
} else {
  const redis = new Redis(url);
  const redisCpuMs = async () => {
    const info = await redis.info('cpu');
    const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)![1]);
    return (get('used_cpu_user') + get('used_cpu_sys')) * 1000;
  };
  const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

  async function round(variant: Variant) {
    const prefix = `probe-psb-${randomUUID().slice(0, 8)}:`;
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, PROBE_ROLE: 'subscriber', VARIANT: variant, PREFIX: prefix },
      execArgv: ['--import', 'tsx'],
    });
    const next = () => new Promise<{ cpu?: NodeJS.CpuUsage; total?: number }>((r) => child.once('message', r));
    await next();
    const prefixed = new Redis(url, { keyPrefix: prefix });
    const publisher = createPublisher(prefixed, { maxLen: 1000, ttlSeconds: 86400, presence: {} as Presence });
    const lua = variant === 'per-channel' ? PER_CHANNEL : variant === 'per-channel-derived' ? PER_CHANNEL_DERIVED : ONE_NAME;
    const sha = (await redis.script('LOAD', lua)) as string;
    // The publisher's steady state: every channel's epoch already known (its first event reads it).
    if (variant === 'tidings')
      await Promise.all(Array.from({ length: CHANNELS }, (_, c) => publisher.publish(`user:u${c}`, 'warm', {}, { countConnections: false })));
    child.send({ cmd: 'cpu' });
    const subBefore = cpuMs((await next()).cpu!);
    const redisBefore = await redisCpuMs();
    const ownBefore = cpuMs(process.cpuUsage());
    const started = performance.now();
    let sent = 0;
    const tidingsWorker = async () => {
      while (sent < EVENTS) {
        const n = Math.min(BATCH * IN_FLIGHT, EVENTS - sent);
        const first = sent;
        sent += n;
        await Promise.all(
          Array.from({ length: n }, (_, i) => publisher.publish(`user:u${(first + i) % CHANNELS}`, 'bench', { n: first + i }, { countConnections: false })),
        );
      }
    };
    const worker = async () => {
      while (sent < EVENTS) {
        const n = Math.min(BATCH, EVENTS - sent);
        const first = sent;
        sent += n;
        const keys: string[] = [];
        const args: string[] = ['1000', '86400'];
        for (let i = 0; i < n; i++) {
          const channel = `user:u${(first + i) % CHANNELS}`;
          keys.push(`${prefix}stream:{${channel}}`);
          const publishedAt = (performance.timeOrigin + performance.now()).toFixed(3);
          args.push(
            `{"type":"event","channel":${JSON.stringify(channel)},"offset":"`,
            `,"event":"bench","data":${JSON.stringify({ n: first + i })},"publishedAt":${publishedAt}}`,
            `${prefix}ch:${channel}`,
            'e1',
          );
        }
        if (variant === 'one-name') args.push(`${prefix}gw`);
        await redis.evalsha(sha, keys.length, ...keys, ...args);
      }
    };
    if (variant === 'tidings') await tidingsWorker();
    else await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const ownUsed = cpuMs(process.cpuUsage()) - ownBefore;
    let delivered = 0;
    const expected = EVENTS + (variant === 'tidings' ? CHANNELS : 0);
    for (let i = 0; i < 200 && delivered < expected; i++) {
      await new Promise((r) => setTimeout(r, 50));
      child.send({ cmd: 'cpu' });
      delivered = (await next()).total!;
    }
    const seconds = (performance.now() - started) / 1000;
    const redisUsed = (await redisCpuMs()) - redisBefore;
    child.send({ cmd: 'cpu' });
    const subUsed = cpuMs((await next()).cpu!) - subBefore;
    child.send({ cmd: 'exit' });
    prefixed.disconnect();
    const us = (ms: number) => ((ms * 1000) / EVENTS).toFixed(2);
    console.log(
      `${variant.padEnd(11)} ${delivered}/${expected} delivered in ${seconds.toFixed(1)} s; µs per event: Redis ${us(redisUsed)}, subscriber ${us(subUsed)}, publisher ${us(ownUsed)}`,
    );
    // Leave no keys behind.
    let cursor = '0';
    do {
      const [c, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = c;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  }

  const variants = (process.env.VARIANTS ?? 'tidings,per-channel,one-name').split(',') as Variant[];
  for (let r = 0; r < ROUNDS; r++) for (const v of variants) await round(v);
  redis.disconnect();
}
