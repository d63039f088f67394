// A small fetch wrapper: the bearer token on every call, and the API's errors turned into
// messages shown next to the field they name.

let token = '';
export const setToken = (t: string): void => void (token = t);
export const getToken = (): string => token;

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
  const res = await fetch(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { message: string; field?: string } };
  if (!res.ok) throw new ApiError(res.status, json.error?.message ?? `HTTP ${res.status}`, json.error?.field);
  return json as T;
}

/** Shows an API error beside its field in `form` (an element with data-error-for=field), or at the form's end. */
export function showError(form: HTMLElement, err: unknown): void {
  for (const el of form.querySelectorAll<HTMLElement>('[data-error-for]')) el.textContent = '';
  const message = err instanceof Error ? err.message : String(err);
  const field = err instanceof ApiError ? err.field : undefined;
  const target = (field && form.querySelector<HTMLElement>(`[data-error-for="${field}"]`)) || form.querySelector<HTMLElement>('[data-error-for="form"]');
  if (target) target.textContent = message;
  const input = field ? form.querySelector<HTMLElement>(`[name="${field}"]`) : null;
  input?.setAttribute('aria-invalid', 'true');
  input?.focus();
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
