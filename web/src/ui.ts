// What every page shares: loading, empty and error states shown the same way, dates and money for
// the reader's locale, and buttons held off while their request is in flight.
import { ApiError } from './api';

export type ViewState = 'loading' | 'empty' | 'error' | 'ready';

/**
 * Shows where a list stands in its status line (`role="status"`, announced by screen readers):
 * `data-state` says which for styles and tests; a ready list has no text.
 */
export function setState(el: HTMLElement, state: ViewState, text = ''): void {
  el.dataset.state = state;
  el.textContent = state === 'ready' ? '' : text;
  el.hidden = state === 'ready';
}

/** A sentence a user can act on, for any error a page meets. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.status >= 500 ? `${err.message} (a problem on our side; try again in a moment)` : err.message;
  return err instanceof Error ? err.message : String(err);
}

/** The error state of a list: what went wrong, for people. */
export const failedTo = (el: HTMLElement, what: string) => (err: unknown) => setState(el, 'error', `Could not ${what}: ${describeError(err)}`);

export const formatDateTime = (iso: string): string => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatTime = (iso: string): string => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/** Money in its own currency's format (R$ 4.449,70, $3.50), from a decimal string or number. */
export function formatMoney(amount: number | string, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(Number(amount));
  } catch {
    return `${currency} ${amount}`; // a code Intl does not know
  }
}

/** Disables `buttons` (and marks `busyEl` aria-busy) until `work` settles; returns its promise. */
export function whileBusy<T>(buttons: HTMLButtonElement[], work: Promise<T>, busyEl?: HTMLElement): Promise<T> {
  for (const b of buttons) b.disabled = true;
  busyEl?.setAttribute('aria-busy', 'true');
  return work.finally(() => {
    for (const b of buttons) b.disabled = false;
    busyEl?.setAttribute('aria-busy', 'false');
  });
}

/** Calls `f` at most once per `ms` burst (a flurry of pushes → one refetch). */
export function coalesce(f: () => void, ms = 150): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      f();
    }, ms);
  };
}

/**
 * Clears the message beside a field as soon as the user changes it (and the form's own message):
 * an error stays only while it is still true. A field reports under its `name`, or under
 * `data-error-field` when several inputs share one message (quiet hours from/to).
 */
export function clearErrorsOnInput(form: HTMLElement): void {
  const clear = (ev: Event) => {
    const input = ev.target as HTMLElement;
    const field = input.dataset.errorField ?? input.getAttribute('name');
    if (!field) return;
    for (const key of [field, 'form']) {
      const el = form.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(key)}"]`);
      if (el) el.textContent = '';
    }
    input.removeAttribute('aria-invalid');
  };
  form.addEventListener('input', clear);
  form.addEventListener('change', clear);
}

/** The reader's decimal and grouping separators ("," and "." in pt-BR; "." and "," in en-US). */
export function separators(locale?: string): { decimal: string; group: string } {
  const parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
  return { decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.', group: parts.find((p) => p.type === 'group')?.value ?? ',' };
}

/**
 * An amount as the user typed it, in their locale's way ("1.234,50" or "1,50" where the comma is
 * the decimal mark; "1,234.50" elsewhere), as the API's decimal string ("1234.50"); undefined when
 * it is not a number written that way.
 */
export function parseLocalAmount(input: string, locale?: string): string | undefined {
  const { decimal, group } = separators(locale);
  let s = input.trim().replace(/\s/g, '');
  if (decimal === ',') {
    // A comma is the decimal mark; dots group thousands (a lone dot before 1-2 digits is a decimal too).
    if (s.includes(',')) s = s.replaceAll('.', '').replace(',', '.');
    else if (!/^\d+\.\d{1,2}$/.test(s)) s = s.replaceAll('.', '');
  } else if (group === ',' && /^\d{1,3}(,\d{3})+(\.\d*)?$/.test(s)) s = s.replaceAll(',', '');
  return /^\d+(\.\d+)?$/.test(s) ? s : undefined;
}
