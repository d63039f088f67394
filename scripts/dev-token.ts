// Prints a development JWT: `npm run -s token -- alice [ttlSeconds] [--scope notifications:schedule-any]`.
// Uses JWT_SECRET, so it is refused with the development secret in production (loadConfig refuses
// that config). A `--scope` makes a service token (see SCOPES in platform/auth/jwt.ts).
import { parseArgs } from 'node:util';
import { SCOPES, signToken } from '../platform/auth/jwt';
import { loadConfig } from '../platform/config';

const usage = `usage: npm run -s token -- <userId> [ttlSeconds] [--scope <scope>]...
  prints a development JWT signed with JWT_SECRET for <userId> (default lifetime 3600 s)
  --scope   adds a scope to the token's "scope" claim; known: ${Object.values(SCOPES).join(', ')}`;
let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { scope: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const [userId, ttl] = positionals;
const unknown = (values.scope ?? []).filter((s) => !(Object.values(SCOPES) as string[]).includes(s));
if (!userId || (ttl !== undefined && !/^\d+$/.test(ttl)) || unknown.length) {
  console.error(`${unknown.length ? `unknown scope ${unknown.join(', ')}\n` : ''}${usage}`);
  process.exit(2);
}
const claims = values.scope?.length ? { scope: values.scope.join(' ') } : {};
console.log(await signToken(loadConfig(), userId, { ttlSeconds: Number(ttl ?? 3600), claims }));
