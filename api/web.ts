import { serveStatic } from '@hono/node-server/serve-static';
import { createRoute } from '@hono/zod-openapi';
import type { Handler } from 'hono';
import path from 'node:path';
import { z } from 'zod';
import { signToken } from '../platform/auth/jwt';
import type { Context } from '../runtime/context';
import { AppError } from '../platform/errors';
import { rememberUser } from '../stores/users';
import type { ApiVariables } from './middleware/auth';
import { documentedRoutes, errors, idLink, jsonBody, OPEN, success } from './openapi/define';

export const DevTokenRequest = z.object({ userId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, . _ -, at most 64') });

const DIST = path.relative(process.cwd(), path.resolve(path.dirname(new URL(import.meta.url).pathname), '../web/dist'));

/** A file of web/dist (a missing one falls through to the 404). */
const file = (name: string) => serveStatic({ path: `${DIST}/${name}` }) as Handler<{ Variables: ApiVariables }>;

const web = { tags: ['web'], ...OPEN };
const asset = (path: string, summary: string, description: string, contentType: string) =>
  createRoute({ method: 'get', path, ...web, summary, responses: { 200: success(description, { contentType }) } });
const shell = asset('/', 'The web app shell', 'HTML', 'text/html');
const bundle = asset('/app.js', 'The web app bundle', 'JavaScript', 'text/javascript');
const sourceMap = asset('/app.js.map', 'Its source map', 'source map', 'application/json');
const styles = asset('/app.css', 'Its style sheet', 'CSS', 'text/css');

const publicConfig = createRoute({
  method: 'get',
  path: '/config.json',
  ...web,
  summary: 'Public gateway and Temporal Web UI addresses',
  responses: { 200: success('addresses') },
});

const devToken = createRoute({
  method: 'post',
  path: '/dev/token',
  ...web,
  summary: 'Development sign-in: a token for any user name (404 unless DEV_SIGN_IN=true)',
  request: { body: jsonBody(DevTokenRequest, { userId: 'alice' }) },
  responses: {
    200: success('userId and token', {
      links: {
        PreferencesOfTheUser: idLink(
          'get /users/:id/notification-preferences',
          "the user's notification preferences (with that user's token, or a service token)",
          '/userId',
        ),
        SetPreferencesOfTheUser: idLink(
          'put /users/:id/notification-preferences',
          "set the user's notification preferences (with that user's token, or a service token)",
          '/userId',
        ),
      },
    }),
    ...errors(400, 404, 422),
  },
});

/** The web app (web/dist), what it needs to know (`/config.json`), and the demo sign-in. */
export function webRoutes(ctx: Context) {
  const { config } = ctx;
  const app = documentedRoutes();
  app.openapi(publicConfig, (c) => c.json({ gatewayUrl: config.PUBLIC_GATEWAY_URL, temporalUi: config.TEMPORAL_UI_URL, devSignIn: config.DEV_SIGN_IN }, 200));
  // Development only: a token for any user name. Off unless DEV_SIGN_IN=true (refused in production).
  app.openapi(devToken, async (c) => {
    if (!config.DEV_SIGN_IN) throw new AppError(404, 'not_found', 'demo sign-in is disabled (set DEV_SIGN_IN=true in development)');
    const { userId } = c.req.valid('json');
    // Signed in: others can start a conversation with them from now on.
    await rememberUser(ctx.mysql(), userId);
    return c.json({ userId, token: await signToken(config, userId, { ttlSeconds: 8 * 3600 }) }, 200);
  });
  app.openapi(shell, file('index.html'));
  app.openapi(bundle, file('app.js'));
  app.openapi(sourceMap, file('app.js.map'));
  app.openapi(styles, file('app.css'));
  return app;
}
