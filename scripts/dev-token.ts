// Prints a development JWT for a user: `npm run -s token -- alice [ttlSeconds]`. Uses JWT_SECRET,
// so it is refused with the development secret in production (loadConfig refuses that config).
import { signToken } from '../platform/auth/jwt';
import { loadConfig } from '../platform/config';

const usage = 'usage: npm run -s token -- <userId> [ttlSeconds]\n  prints a development JWT signed with JWT_SECRET for <userId> (default lifetime 3600 s)';
const [userId, ttl] = process.argv.slice(2);
if (userId === '--help' || userId === '-h') {
  console.log(usage);
  process.exit(0);
}
if (!userId || userId.startsWith('-') || (ttl !== undefined && !/^\d+$/.test(ttl))) {
  console.error(usage);
  process.exit(2);
}
console.log(await signToken(loadConfig(), userId, { ttlSeconds: Number(ttl ?? 3600) }));
