import type { Context } from '../runtime/context';
import { boundPort, closeServer, listen } from '../platform/http/serve';
import { createApiApp } from './app';

/** The `api` role: the HTTP API on API_PORT. Returns its URL. */
export async function startApi(ctx: Context): Promise<string> {
  const server = await listen(createApiApp(ctx), ctx.config.HOST, ctx.config.API_PORT);
  ctx.lifecycle.add('api server', server, closeServer);
  return `http://${ctx.config.HOST}:${boundPort(server)}`;
}
