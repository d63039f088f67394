// The event fan-out's contract: what the API, the workflow, its activities and consumers B and C
// agree on. Types, names and the workflow's signal and query; the envelope's schema is in
// contracts/event-envelope.ts.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EventStatus, EventVerdict, Sink } from '../stores/events';
import type { EventEnvelope } from './event-envelope';

export type { EventEnvelope } from './event-envelope';
// The persisted vocabulary (statuses, sinks, trail steps) is the store's, as a purchase's status is.
export type { EventStatus, EventVerdict, Sink, TrailStep } from '../stores/events';

export interface EventFanOutInput {
  event: EventEnvelope;
  /** How long to wait for both consumers before the run ends INCOMPLETE (the trail keeps filling). */
  confirmTimeoutMs: number;
}

export type EventRunStatus = 'PUBLISHING' | 'AWAITING_CONSUMERS' | 'COMPLETED' | 'INCOMPLETE';

export interface EventProgress {
  status: EventRunStatus;
  published: { sns: boolean; kafka: boolean };
  stored: Record<Sink, boolean>;
}

/** The workflow's type, started by name from the API. */
export const EVENT_FAN_OUT_WORKFLOW = 'eventFanOut';
export type EventFanOutWorkflow = (input: EventFanOutInput) => Promise<EventProgress>;

/** One run per event: a retried POST or a duplicate start joins the same workflow. */
export const eventWorkflowId = (env: string, eventId: string): string => `${env}.event-${eventId}`;

/** A consumer stored the event (sent by consumers B and C; duplicates are harmless). */
export const eventStoredSignal = defineSignal<[{ sink: Sink }]>('eventStored');
export const eventProgressQuery = defineQuery<EventProgress>('eventProgress');

/** The workflow's steps (activities/events.ts implements them); each records its trail step. */
export interface EventActivities {
  publishEventToSns(event: EventEnvelope): Promise<string>;
  publishEventToKafka(event: EventEnvelope): Promise<string>;
  /** Writes the verdict; INCOMPLETE becomes COMPLETED when the store shows both consumers stored it. Returns what was written. */
  finishEvent(eventId: string, userId: string, status: EventVerdict): Promise<EventVerdict>;
}

/** On the owner's `user:{id}` channel: the event's trail moved (the web app's Events page listens). */
export const EVENT_TRAIL_EVENT = 'event.trail';
