import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as streamingBodyLimit } from 'hono/body-limit';

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a body over `maxSize` bytes. A body with a Content-Length is judged by the header alone
 * (Node's parser never delivers more bytes than it announces), so the body is left for the route to
 * read once; only a chunked body is counted as it streams, by Hono's own middleware. Hono's
 * middleware asks the request for its body stream first, which makes the node adapter build a
 * WHATWG Request and a web stream for every POST: a third of the API's CPU per ledger post.
 */
export function bodyLimit({ maxSize, onError }: { maxSize: number; onError: (c: Context) => Response | Promise<Response> }): MiddlewareHandler {
  const streaming = streamingBodyLimit({ maxSize, onError });
  return async (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) return streaming(c, next);
    const length = c.req.header('content-length');
    if (length !== undefined) return Number(length) > maxSize ? onError(c) : next();
    // Neither header. Over HTTP/1.1 that is no body; a Request made in-process (app.request, a
    // fetch-API caller) can carry one without either, so it is counted.
    return BODYLESS.has(c.req.method) ? next() : streaming(c, next);
  };
}
