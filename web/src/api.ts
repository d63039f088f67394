// A small fetch wrapper: the bearer token on every call, and the API's errors turned into
// messages shown next to the field they name.

let token = '';
export const setToken = (t: string): void => void (token = t);
export const getToken = (): string => token;
let onUnauthorized: (token: string) => void = () => undefined;
/** What to do when the API refuses the token (expired or revoked): the shell sends the user to sign in. */
export const setOnUnauthorized = (f: (token: string) => void): void => void (onUnauthorized = f);

let onTraced: (t: { traceId: string; method: string; path: string; status: number }) => void = () => undefined;
/** Told of every action's response (not reads) with its X-Trace-Id: the shell links its trace. */
export const setOnTraced = (f: typeof onTraced): void => void (onTraced = f);

/** When the token stops being accepted (ms since the epoch), from its `exp`; 0 if it cannot be read. */
export function tokenExpiry(t: string): number {
  try {
    const part = t.split('.')[1] ?? '';
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let res: Response;
  // The token this request carries: a 401 for it ends the session only if it is still the session's
  // (a late answer to a request of a session already ended must not end the next one).
  const sent = token;
  try {
    res = await fetch(path, {
      method,
      headers: { ...(sent ? { authorization: `Bearer ${sent}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    // fetch's own "Failed to fetch" says nothing a user can act on.
    throw new ApiError(0, 'Could not reach the server: check your connection and try again.');
  }
  const traceId = res.headers.get('x-trace-id');
  // What the user did (not the page's reads), and traces of theirs (the sign-in's is no one's).
  if (traceId && method !== 'GET' && !path.startsWith('/dev/')) onTraced({ traceId, method, path: path.split('?')[0]!, status: res.status });
  const json = (await res.json().catch(() => ({}))) as { error?: { message: string; field?: string } };
  if (res.status === 401 && sent && sent === token) onUnauthorized(sent);
  if (!res.ok) throw new ApiError(res.status, json.error?.message ?? `HTTP ${res.status}`, json.error?.field);
  return json as T;
}

/**
 * Says for people what a field's error means, in this form's words (and the user's units):
 * `(field, apiMessage, err)` → a sentence, or undefined to keep a cleaned-up API message.
 */
export type Humanize = (field: string, message: string, err: unknown) => string | undefined;

/** An API message without its field prefix ("quantity: Too small…" → "Too small…"), as a sentence. */
function tidy(field: string | undefined, message: string): string {
  let m = message;
  if (field && m.startsWith(`${field}: `)) m = m.slice(field.length + 2);
  else if (field && m.startsWith(`${field} `)) m = `This ${m.slice(field.length + 1)}`;
  m = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(m) ? m : `${m}.`;
}

/**
 * Shows an error beside its field in `form` (an element with data-error-for=field), or at the
 * form's end, as a sentence for people (`humanize`, else the API's message tidied); '' clears all.
 */
export function showError(form: HTMLElement, err: unknown, humanize?: Humanize): void {
  for (const el of form.querySelectorAll<HTMLElement>('[data-error-for]')) el.textContent = '';
  for (const el of form.querySelectorAll<HTMLElement>('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (err === '' || err === undefined) return;
  const raw = err instanceof Error ? err.message : String(err);
  const field = err instanceof ApiError ? err.field : undefined;
  const message = (field && humanize?.(field, raw, err)) ?? (field ? tidy(field, raw) : raw);
  const target = (field && form.querySelector<HTMLElement>(`[data-error-for="${field}"]`)) || form.querySelector<HTMLElement>('[data-error-for="form"]');
  if (target) target.textContent = message;
  const input = field ? form.querySelector<HTMLElement>(`[name="${field}"]`) : null;
  input?.setAttribute('aria-invalid', 'true');
  input?.focus();
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
