import type { Context as HonoContext, Hono, MiddlewareHandler } from 'hono';

/**
 * How specific a route pattern is at each segment: a literal beats a parameter, which beats a
 * wildcard. `/notifications/batch` is [2, 2], `/notifications/:id` [2, 1].
 */
const segmentRank = (segment: string) => (segment === '*' ? 0 : segment.startsWith(':') ? 1 : 2);

/** Does `pattern` (Hono's `/a/:id/b`, `/a/*`) match the path's segments? */
function matches(pattern: string[], path: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '*') return true;
    const s = path[i];
    if (s === undefined) return false;
    if (!p.startsWith(':') && p !== s) return false;
  }
  return pattern.length === path.length;
}

/** -1, 0 or 1 as `a` is less, as or more specific than `b` (segment by segment, from the left). */
function compareSpecificity(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] === undefined ? -1 : segmentRank(a[i]!)) - (b[i] === undefined ? -1 : segmentRank(b[i]!));
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const split = (path: string) => path.split('/').filter(Boolean);

/**
 * The methods a path answers, from the app's routes: those of the most specific patterns that match
 * it only. `/notifications/batch` is its own resource (POST), not an id of `/notifications/:id`
 * (GET, PATCH, DELETE), so its Allow is `POST`, as the OpenAPI document says. GET adds HEAD.
 */
export function allowedMethods(routes: { method: string; path: string }[], path: string): string[] {
  const segments = split(path);
  let best: string[] | undefined;
  let methods = new Set<string>();
  for (const route of routes) {
    if (route.method === 'ALL') continue;
    const pattern = split(route.path);
    if (!matches(pattern, segments)) continue;
    const order = best ? compareSpecificity(pattern, best) : 1;
    if (order < 0) continue;
    if (order > 0) {
      best = pattern;
      methods = new Set();
    }
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
  }
  return [...methods];
}

/**
 * A known path with a method it does not take: 405 with `Allow`, instead of the 404 answered by the
 * router or by a less specific route's handler (GET /notifications/batch reaches GET
 * /notifications/:id, whose "no notification batch" is not the answer). A path no route matches, and
 * a 404 from a route that does take the method (an unknown id), stay 404.
 */
export function methodNotAllowed(app: Pick<Hono, 'routes'>, respond: (c: HonoContext, methods: string[]) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status !== 404) return;
    const methods = allowedMethods(app.routes, c.req.path);
    if (methods.length === 0 || methods.includes(c.req.method)) return;
    c.res = await respond(c, methods);
  };
}
