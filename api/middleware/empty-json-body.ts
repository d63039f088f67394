import type { MiddlewareHandler } from 'hono';

/**
 * A JSON body sent empty reads as `{}`: a route whose body is optional takes it as sent without one
 * (as when the Content-Type is left out too), one whose body is required names its first missing
 * field. Without this, the routes' validators would refuse it as malformed JSON.
 */
export function emptyJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    if (/^application\/([\w.-]+\+)?json\b/i.test(c.req.header('content-type') ?? '') && (await c.req.text()).trim() === '') {
      // Hono's body cache holds the read's promise (its type says string); the validators read it there.
      (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve('{}');
    }
    await next();
  };
}
