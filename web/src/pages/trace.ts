// Trace: one journey's trace as a waterfall (#/traces/<trace id>), read through the API from
// Jaeger: a bar per span on one time axis, nested under its parent, coloured by the service that
// did the work, with its duration and any error. A young trace is still arriving (several processes
// export in batches), so the page reads it again until it stops growing; a read that fails in a way
// that passes (Jaeger slow: 503) is read again too (freshness.ts, readTraceAgain).
import type { TraceSpan, TraceView } from '../../../domain/trace-view';
import { api, ApiError, escapeHtml } from '../api';
import { readTraceAgain, type TraceRead } from '../freshness';
import type { Page } from '../page';
import { describeError, formatDateTime, setState } from '../ui';

/** The link to a trace's view, where the app shows an item or a response that has one. */
export const traceHref = (traceId: string): string => `#/traces/${encodeURIComponent(traceId)}`;
/** A "Trace" link for a list row or a detail line ('' without a trace id: untraced, or written before traces were kept). */
export const traceLink = (traceId: string | null | undefined, label = 'Trace'): string =>
  traceId ? `<a class="trace-link" href="${escapeHtml(traceHref(traceId))}" data-trace-id="${escapeHtml(traceId)}">${escapeHtml(label)}</a>` : '';

/** Each service's colour, the same on every trace (unknown ones get one of the spares). */
const COLOURS: Record<string, string> = {
  'tidings-api': '#2f6fde',
  'tidings-worker': '#8e44ad',
  'tidings-consumers': '#d9822b',
  'tidings-gateway': '#1f9d55',
  'tidings-simulators': '#7a8a99',
};
const SPARE = ['#c0392b', '#16a085', '#b7950b', '#6c5ce7'];
const colourOf = (service: string, services: string[]) =>
  COLOURS[service] ?? SPARE[Math.max(0, services.filter((s) => !(s in COLOURS)).indexOf(service)) % SPARE.length]!;

/** A duration for people: 0.42 ms, 12 ms, 1.3 s. */
export const formatDuration = (ms: number): string =>
  ms < 1 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(ms / 1000)} s`;

/** What `GET /traces/:traceId` answers: the waterfall, and the trace in Jaeger's own UI. */
type TraceAnswer = TraceView & { jaegerUi: string };

/** How often a trace still arriving is read again (freshness.ts, readTraceAgain: how long). */
const REREAD_MS = 2_000;

export const tracePage: Page = (root) => {
  const traceId = decodeURIComponent(location.hash.replace(/^#\/traces\/?/, '').split('/')[0] ?? '');
  root.innerHTML = `<h1>Trace</h1>
    <p>Trace <code id="trace-id">${escapeHtml(traceId)}</code>: what each part of Tidings did for one request, on one time axis.</p>
    <p id="trace-state" role="status" data-state="loading">Loading the trace…</p>
    <section id="trace" class="card" aria-labelledby="trace-summary" hidden>
      <p id="trace-summary"></p>
      <ul id="trace-legend" class="legend" aria-label="Services"></ul>
      <ol id="waterfall" class="waterfall" aria-label="Spans"></ol>
      <p><button type="button" id="trace-refresh">Refresh</button> <a id="trace-jaeger" target="_blank" rel="noopener">Open in Jaeger’s UI</a>
        <span class="muted">(where Jaeger runs with its UI, as under docker compose)</span></p>
    </section>`;
  const stateEl = root.querySelector<HTMLElement>('#trace-state')!;
  const section = root.querySelector<HTMLElement>('#trace')!;
  const summary = root.querySelector<HTMLElement>('#trace-summary')!;
  const legend = root.querySelector<HTMLElement>('#trace-legend')!;
  const waterfall = root.querySelector<HTMLElement>('#waterfall')!;
  const refresh = root.querySelector<HTMLButtonElement>('#trace-refresh')!;
  const openedAt = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastCount = -1;
  // Leaving the page (another hash) ends the re-reads.
  const shown = () => root.contains(section) && location.hash.startsWith('#/traces/');

  const row = (s: TraceSpan, t: TraceView): string => {
    const total = Math.max(t.durationMs, 0.001);
    const left = (s.startMs / total) * 100;
    const width = Math.max((s.durationMs / total) * 100, 0.4);
    const colour = colourOf(s.service, t.services);
    const attrs = Object.entries(s.attributes)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' · ');
    const title = `${s.service}: ${s.name} — ${formatDuration(s.durationMs)}, starting at ${formatDuration(s.startMs)}${attrs ? `\n${attrs}` : ''}${s.errorMessage ? `\nerror: ${s.errorMessage}` : ''}`;
    return `<li class="span" data-span-id="${escapeHtml(s.spanId)}" data-service="${escapeHtml(s.service)}" data-error="${s.error}" title="${escapeHtml(title)}">
      <span class="span-label" style="padding-left:${Math.min(s.depth, 12) * 0.9}rem">
        <span class="swatch" style="background-color:${colour}" aria-hidden="true"></span>
        <span class="span-name">${escapeHtml(s.name)}</span>
        <span class="muted span-service">${escapeHtml(s.service)}</span>
        ${s.error ? `<strong class="span-error">error${s.errorMessage ? `: ${escapeHtml(s.errorMessage)}` : ''}</strong>` : ''}
      </span>
      <span class="span-track"><span class="span-bar${s.error ? ' failed' : ''}" style="left:${left.toFixed(3)}%;width:${Math.min(width, 100 - left).toFixed(3)}%;background-color:${colour}"></span></span>
      <span class="span-duration">${escapeHtml(formatDuration(s.durationMs))}</span>
    </li>`;
  };

  const render = (t: TraceAnswer) => {
    const errors = t.spans.filter((s) => s.error).length;
    summary.innerHTML = `Started <time datetime="${escapeHtml(t.startedAt)}">${escapeHtml(formatDateTime(t.startedAt))}</time>, took <strong>${escapeHtml(formatDuration(t.durationMs))}</strong>:
      <span id="span-count">${t.spans.length}</span> spans in ${t.services.length} services${errors ? `, <strong class="span-error">${errors} with an error</strong>` : ''}.`;
    legend.innerHTML = t.services
      .map(
        (s) =>
          `<li data-service="${escapeHtml(s)}"><span class="swatch" style="background-color:${colourOf(s, t.services)}" aria-hidden="true"></span>${escapeHtml(s)} <span class="muted">(${t.spans.filter((x) => x.service === s).length})</span></li>`,
      )
      .join('');
    waterfall.innerHTML = t.spans.map((s) => row(s, t)).join('');
    root.querySelector<HTMLAnchorElement>('#trace-jaeger')!.href = t.jaegerUi;
    section.hidden = false;
    setState(stateEl, 'ready');
  };

  const load = async (): Promise<void> => {
    clearTimeout(timer);
    let read: TraceRead;
    let failure: unknown;
    try {
      const t = await api<TraceAnswer>('GET', `/traces/${encodeURIComponent(traceId)}`);
      if (!shown()) return;
      render(t);
      read = { startedAt: Date.parse(t.startedAt), spans: t.spans.length };
    } catch (err) {
      if (!shown()) return;
      // Only the API's answers (and no answer at all) say whether to read again; anything else is final.
      if (!(err instanceof ApiError)) return setState(stateEl, 'error', `Could not load the trace: ${describeError(err)}`);
      read = { status: err.status };
      failure = err;
    }
    // Still arriving (young, growing, not in yet) or a failure that passes (Jaeger slow): read it again.
    const again = readTraceAgain(read, openedAt, lastCount, Date.now());
    if ('spans' in read) lastCount = read.spans;
    else if (read.status === 404)
      // Jaeger may not have it yet (spans are sent in batches); after a while it is not coming.
      setState(
        stateEl,
        again ? 'loading' : 'empty',
        again
          ? 'Waiting for the trace to arrive…'
          : 'No trace of yours has this id. Traces are kept in memory by Jaeger, so older ones are gone after it restarts.',
      );
    else setState(stateEl, again ? 'loading' : 'error', `Could not load the trace: ${describeError(failure)}${again ? ' Trying again…' : ''}`);
    if (again) timer = setTimeout(() => void load(), REREAD_MS);
  };
  refresh.addEventListener('click', () => void load());
  if (!/^[0-9a-fA-F]{32}$/.test(traceId))
    setState(stateEl, 'error', 'This is not a trace id: a trace id is 32 hexadecimal digits, like the X-Trace-Id of a response.');
  else void load();
};
