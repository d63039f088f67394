// The comparison server: Socket.IO with its Redis adapter, authenticating the same JWTs and putting
// each connection in its user's room, as a Socket.IO user would build the same gateway.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createTokenVerifier } from '../../platform/auth/jwt';
import { loadConfig } from '../../platform/config';
import { userChannel } from '../../contracts/channels';

const config = loadConfig();
const verify = createTokenVerifier(config);
const pub = new Redis(config.REDIS_URL);
const sub = pub.duplicate();
const http = createServer();
const io = new Server(http, { transports: ['websocket'], adapter: createAdapter(pub, sub), perMessageDeflate: false });
io.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: string }).token ?? '';
  verify(token).then(
    (principal) => {
      socket.data.userId = principal.userId;
      next();
    },
    () => next(new Error('unauthorized')),
  );
});
io.on('connection', (socket) => void socket.join(userChannel(String(socket.data.userId))));
http.listen(Number(process.env.PORT ?? 4102), '127.0.0.1', () => process.send?.('listening'));
