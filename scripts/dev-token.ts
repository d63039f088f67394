// Prints a development JWT for a user: `npm run -s token -- alice [ttlSeconds]`. Uses JWT_SECRET,
// so it is refused with the development secret in production (loadConfig refuses that config).
import { signToken } from '../platform/auth/jwt';
import { loadConfig } from '../platform/config';

const [userId, ttl] = process.argv.slice(2);
if (!userId) {
  console.error('usage: npm run -s token -- <userId> [ttlSeconds]');
  process.exit(2);
}
console.log(await signToken(loadConfig(), userId, { ttlSeconds: Number(ttl ?? 3600) }));
