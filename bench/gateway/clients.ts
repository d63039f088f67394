// Load-generator child: holds N connections (one per user) to the system under test and records,
// for every event, the time from publish to arrival. Controlled over IPC by run.ts.
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { signToken } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';

const system = process.env.SYSTEM as 'tidings' | 'socketio' | 'centrifugo' | 'floor';
const url = process.env.URL!;
const n = Number(process.env.N);
const prefix = process.env.PREFIX!;
const config = loadConfig();
const now = () => performance.timeOrigin + performance.now();

let latencies = new Float64Array(1 << 20);
let count = 0;
function record(publishedAt: number): void {
  if (count === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[count++] = now() - publishedAt;
}

const open: (WebSocket | Socket)[] = [];
let failed = 0;

async function connectOne(i: number): Promise<void> {
  const token = await signToken(config, `${prefix}${i}`, { ttlSeconds: 3600 });
  if (system === 'tidings' || system === 'floor') {
    const ws = new WebSocket(`${url}?access_token=${token}`, { perMessageDeflate: false });
    // Ready once the user channel is subscribed: Tidings' second frame (after its welcome), the
    // floor server's first.
    const greeting = system === 'tidings' ? 2 : 1;
    await new Promise<void>((resolve) => {
      let frames = 0;
      ws.on('message', (data) => {
        const text = data.toString();
        if (frames++ < greeting) {
          if (frames === greeting) resolve();
          return;
        }
        const at = text.lastIndexOf('"publishedAt":');
        record(Number(text.slice(at + 14, -1)));
      });
      ws.on('error', () => {
        failed++;
        resolve();
      });
    });
    open.push(ws);
  } else if (system === 'centrifugo') {
    // Centrifugo's JSON protocol by hand: connect with the token (the personal channel is subscribed
    // server-side), answer its pings (an empty command), publications arrive as pushes; one frame may
    // carry several replies separated by newlines.
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve) => {
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, connect: { token, name: 'bench' } })));
      ws.on('message', (data) => {
        for (const line of data.toString().split('\n')) {
          if (line === '{}') ws.send('{}');
          else if (line.startsWith('{"push"')) {
            const at = line.lastIndexOf('"publishedAt":');
            record(Number.parseFloat(line.slice(at + 14)));
          } else if (line.startsWith('{"id":1')) {
            if (!line.includes('"connect"')) failed++;
            resolve();
          }
        }
      });
      ws.on('error', () => {
        failed++;
        resolve();
      });
    });
    open.push(ws);
  } else {
    const socket = io(url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false });
    await new Promise<void>((resolve) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', () => {
        failed++;
        resolve();
      });
    });
    socket.on('event', (e: { publishedAt: number }) => record(e.publishedAt));
    open.push(socket);
  }
}

async function connectAll(): Promise<void> {
  const batch = 250;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, j) => connectOne(i + j)));
  }
}

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'reset') {
    count = 0;
    process.send?.({ cmd: 'reset-done' });
  } else if (msg.cmd === 'report') {
    const sorted = latencies.slice(0, count).sort();
    process.send?.({ cmd: 'report', count, latencies: Array.from(sorted) });
  } else if (msg.cmd === 'count') {
    process.send?.({ cmd: 'count', count });
  } else if (msg.cmd === 'exit') {
    for (const c of open) c instanceof WebSocket ? c.terminate() : c.disconnect();
    process.exit(0);
  }
});

const started = Date.now();
await connectAll();
process.send?.({ cmd: 'ready', connected: open.length - failed, failed, ms: Date.now() - started });
