import { z } from 'zod';
import { isTimeZone, utcOffsetMinutes, zonedInstant } from './zoned-time';

export const CHANNELS = ['web', 'email', 'sms', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];
export const MAX_NOTIFICATION_BYTES = 16 * 1024;

/**
 * A regular expression for the 4-digit years 0000..`max`, e.g. 2027 → `(?:[01]\d{3}|20[01]\d|202[0-7])`:
 * the latest year a `sendAt` may name, stated in the OpenAPI document as a pattern (JSON Schema cannot
 * compare dates), and enforced by the same pattern.
 */
export function yearsUpTo(max: number): string {
  const digits = String(max).padStart(4, '0');
  const alternatives: string[] = [];
  for (let i = 0; i < 4; i++) {
    const d = Number(digits[i]);
    if (d === 0) continue;
    const below = d === 1 ? '0' : `[0-${d - 1}]`;
    const rest = 3 - i;
    alternatives.push(`${digits.slice(0, i)}${below}${rest ? (rest === 1 ? '\\d' : `\\d{${rest}}`) : ''}`);
  }
  alternatives.push(digits);
  return `(?:${alternatives.join('|')})`;
}

/** The latest year a notification may be scheduled in: next year (by the UTC calendar). */
export const latestSendYear = (now: number) => new Date(now).getUTCFullYear() + 1;

/**
 * The IANA time zones, as the OpenAPI document lists them (`Intl.supportedValuesOf`, plus UTC). The
 * server also accepts the aliases the runtime knows (Asia/Kolkata, US/Eastern), which a browser may
 * report; the document lists the canonical names only.
 */
export const TIME_ZONES: readonly string[] = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])];
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');

/**
 * When a notification is sent: an ISO 8601 date-time no later than next year. A time in the past
 * (clock skew, a queue that held it) means as soon as possible: it fires with the next bucket of its
 * shard, like any overdue one. The year bound is a pattern, so the OpenAPI document states it.
 */
export function sendAtSchema(now: () => number) {
  // The bound is read at each validation (a process running across New Year moves with it); the
  // pattern in the document is the one of the moment the document is built.
  const latestAtBuild = latestSendYear(now());
  return (
    z.iso
      // abort: "tomorrow" gets one error (not a date), not a second about its year.
      .datetime({ offset: true, message: 'an ISO 8601 date-time', abort: true })
      .check((ctx) => {
        const latest = latestSendYear(now());
        if (Number(ctx.value.slice(0, 4)) > latest) ctx.issues.push({ code: 'custom', input: ctx.value, message: `must be in ${latest} at the latest` });
      })
      .meta({
        pattern: `^${yearsUpTo(latestAtBuild)}-`,
        description: `an ISO 8601 date-time, in ${latestAtBuild} at the latest; a time in the past sends as soon as possible`,
      })
      .transform((s) => (Date.parse(s) < now() ? new Date(now()).toISOString() : s))
  );
}

/** The content rule of a notification (its refine below), in JSON Schema for the OpenAPI document. */
const NOTIFICATION_CONTENT = [{ required: ['title', 'body'] }, { required: ['template'] }];

/**
 * The payload both sources accept (Kafka `notifications` and POST /notifications). Either title and
 * body, or a template: stated in the OpenAPI document as `anyOf` (see NOTIFICATION_CONTENT).
 */
export function notificationSchema(now: () => number) {
  return z
    .object({
      notificationId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64'),
      userId: z.string().min(1).max(128),
      channel: z.enum(CHANNELS, `one of ${CHANNELS.join(', ')}`),
      sendAt: sendAtSchema(now),
      title: z.string().min(1).max(200).optional(),
      body: z.string().min(1).max(4000).optional(),
      template: z
        .string()
        .regex(/^[a-z0-9._-]{1,64}$/)
        .optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((n) => (n.title !== undefined && n.body !== undefined) || n.template !== undefined, { message: 'give title and body, or template', path: ['body'] })
    .meta({ anyOf: NOTIFICATION_CONTENT })
    .refine((n) => Buffer.byteLength(JSON.stringify(n)) <= MAX_NOTIFICATION_BYTES, { message: `at most ${MAX_NOTIFICATION_BYTES} bytes`, path: ['data'] });
}
export type NotificationRequest = z.infer<ReturnType<typeof notificationSchema>>;

export const PreferencesSchema = z.object({
  timezone: z
    .string()
    .refine(isTimeZone, 'an IANA time zone such as America/Sao_Paulo')
    .meta({ enum: [...TIME_ZONES], description: 'an IANA time zone such as America/Sao_Paulo' }),
  // A channel named twice is the same opt-in (stored once).
  channels: z
    .array(z.enum(CHANNELS))
    .max(CHANNELS.length)
    .transform((cs) => [...new Set(cs)]),
  quietHours: z.object({ start: hhmm, end: hhmm }).nullable().default(null),
  // Muted until a time already past is not muted.
  mutedUntil: z.iso
    .datetime({ offset: true })
    .nullable()
    .default(null)
    .transform((t) => (t !== null && Date.parse(t) <= Date.now() ? null : t)),
});
export type Preferences = z.infer<typeof PreferencesSchema>;

export type Eligibility = { eligible: false; reason: string } | { eligible: true; deferUntil: number | null };

/**
 * May `channel` reach the user at instant `at`? Unknown user, not opted in or muted → no; inside
 * quiet hours (in the user's zone) → yes, deferred to when they end.
 */
export function eligibility(prefs: (Omit<Preferences, 'mutedUntil'> & { mutedUntil: number | null }) | undefined, channel: Channel, at: number): Eligibility {
  if (!prefs) return { eligible: false, reason: 'unknown user' };
  if (!prefs.channels.includes(channel)) return { eligible: false, reason: `not opted in to ${channel}` };
  if (prefs.mutedUntil !== null && prefs.mutedUntil > at) return { eligible: false, reason: 'muted' };
  if (!prefs.quietHours) return { eligible: true, deferUntil: null };
  const local = new Date(at + utcOffsetMinutes(prefs.timezone, at) * 60_000);
  const today = local.toISOString().slice(0, 10);
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  const [sh, sm] = prefs.quietHours.start.split(':').map(Number) as [number, number];
  const [eh, em] = prefs.quietHours.end.split(':').map(Number) as [number, number];
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  const inQuiet = start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!inQuiet) return { eligible: true, deferUntil: null };
  // Quiet hours end today, or (overnight range, evening part) tomorrow.
  const endsTomorrow = start > end && minutes >= start;
  const endDay = endsTomorrow ? new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) : today;
  return { eligible: true, deferUntil: zonedInstant(prefs.timezone, endDay, eh, em) };
}
