import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import path from 'node:path';
import { z } from 'zod';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { AppError } from '../platform/errors';
import { jsonBody } from '../platform/http/validate';
import { rememberUser } from '../stores/users';

export const DevTokenRequest = z.object({ userId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, . _ -, at most 64') });

const DIST = path.relative(process.cwd(), path.resolve(path.dirname(new URL(import.meta.url).pathname), '../web/dist'));

/** The web app (web/dist), what it needs to know (`/config.json`), and the demo sign-in. */
export function webRoutes(ctx: Context): Hono {
  const { config } = ctx;
  const app = new Hono();
  app.get('/config.json', (c) => c.json({ gatewayUrl: config.PUBLIC_GATEWAY_URL, temporalUi: config.TEMPORAL_UI_URL, devSignIn: config.DEV_SIGN_IN }));
  // Development only: a token for any user name. Off unless DEV_SIGN_IN=true (refused in production).
  app.post('/dev/token', async (c) => {
    if (!config.DEV_SIGN_IN) throw new AppError(404, 'not_found', 'demo sign-in is disabled (set DEV_SIGN_IN=true in development)');
    const { userId } = await jsonBody(c, DevTokenRequest);
    // Signed in: others can start a conversation with them from now on.
    await rememberUser(ctx.mysql(), userId);
    return c.json({ userId, token: await signToken(config, userId, { ttlSeconds: 8 * 3600 }) });
  });
  app.get('/', serveStatic({ path: `${DIST}/index.html` }));
  app.get('/app.js', serveStatic({ path: `${DIST}/app.js` }));
  app.get('/app.js.map', serveStatic({ path: `${DIST}/app.js.map` }));
  app.get('/app.css', serveStatic({ path: `${DIST}/app.css` }));
  return app;
}
