// The floor for a Node gateway fed by Redis: a bare `ws` server that authenticates the same JWTs,
// subscribes one Redis pub/sub channel per connected user and writes each message to the socket as
// it came, with no protocol, history, parsing or metrics. No real gateway does less per message, so
// its CPU per message bounds what any of them (Tidings, Socket.IO) can reach on this machine.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import { createTokenVerifier } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';

const config = loadConfig();
const verify = createTokenVerifier(config);
/** The pub/sub channel of a user is this prefix + the user id (the benchmark's environment is in it). */
const prefix = process.env.FLOOR_CHANNEL_PREFIX ?? 'floor:user:';
const sub = new Redis(config.REDIS_URL);
const sockets = new Map<string, WebSocket>();
sub.on('message', (channel: string, raw: string) => sockets.get(channel)?.send(raw));

const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  const token = new URL(req.url ?? '/', 'http://floor').searchParams.get('access_token') ?? '';
  verify(token).then(
    async (principal) => {
      const channel = `${prefix}${principal.userId}`;
      sockets.set(channel, ws);
      ws.on('close', () => {
        sockets.delete(channel);
        void sub.unsubscribe(channel);
      });
      await sub.subscribe(channel);
      ws.send('ready');
    },
    () => ws.close(4401, 'unauthorized'),
  );
});
http.listen(Number(process.env.PORT ?? 4104), '127.0.0.1', () => process.send?.('listening'));
// A clean exit on the benchmark's SIGTERM, so that a V8 CPU profile (BENCH_CPU_PROF) is written.
process.on('SIGTERM', () => process.exit(0));
