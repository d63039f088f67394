import { z } from 'zod';
import { isTimeZone, utcOffsetMinutes, zonedInstant } from './zoned-time';

export const CHANNELS = ['web', 'email', 'sms', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];
export const MAX_NOTIFICATION_BYTES = 16 * 1024;
const YEAR_MS = 366 * 24 * 3600 * 1000;
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');

/** The payload both sources accept (Kafka `notifications` and POST /notifications). */
export function notificationSchema(now: () => number, pastToleranceMs: number) {
  return z
    .object({
      notificationId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, at most 64'),
      userId: z.string().min(1).max(128),
      channel: z.enum(CHANNELS, `one of ${CHANNELS.join(', ')}`),
      sendAt: z.iso
        .datetime({ offset: true, message: 'an ISO 8601 date-time' })
        // Only about a real date: "tomorrow" gets one error (not a date), not three.
        .refine((s) => Number.isNaN(Date.parse(s)) || Date.parse(s) >= now() - pastToleranceMs, 'is in the past')
        .refine((s) => Number.isNaN(Date.parse(s)) || Date.parse(s) <= now() + YEAR_MS, 'is more than a year ahead'),
      title: z.string().min(1).max(200).optional(),
      body: z.string().min(1).max(4000).optional(),
      template: z
        .string()
        .regex(/^[a-z0-9._-]{1,64}$/)
        .optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((n) => (n.title !== undefined && n.body !== undefined) || n.template !== undefined, { message: 'give title and body, or template', path: ['body'] })
    .refine((n) => Buffer.byteLength(JSON.stringify(n)) <= MAX_NOTIFICATION_BYTES, { message: `at most ${MAX_NOTIFICATION_BYTES} bytes`, path: ['data'] });
}
export type NotificationRequest = z.infer<ReturnType<typeof notificationSchema>>;

export const PreferencesSchema = z.object({
  timezone: z.string().refine(isTimeZone, 'an IANA time zone such as America/Sao_Paulo'),
  channels: z.array(z.enum(CHANNELS)).max(CHANNELS.length),
  quietHours: z.object({ start: hhmm, end: hhmm }).nullable().default(null),
  mutedUntil: z.iso.datetime({ offset: true }).nullable().default(null),
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
