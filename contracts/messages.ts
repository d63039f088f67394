// The chat timers' contract: what the dispatcher, the deadline workflows and their activities agree
// on. Plain types and constants only. Status hops themselves never touch Temporal (see
// docs/message-status.md): only the delivery deadline and the retries of a send do.

export interface MessageDeadlineBucketInput {
  /** The end of the bucket's time slice (ms since epoch): it fails what is due up to here. */
  fireAt: number;
  /** The slice's length: the bucket owns deadlines in (fireAt − sliceMs, fireAt]. */
  sliceMs: number;
  /** Rows per local activity. */
  batch: number;
  /** Failed by earlier runs of this bucket (continue-as-new). */
  carried?: number;
}

export interface MessageRelayInput {
  /** Rows per batch. */
  batchSize: number;
  /** The backstop tick: how often undispatched rows are looked for. */
  idleMs: number;
  /** Outbox rows younger than this are left to the API's own dispatch. */
  minAgeMs: number;
}

/** What one expiry batch did (kept in the bucket's history: which messages it failed). */
export interface ExpireResult {
  failed: string[];
  /** A full batch: there may be more. */
  more: boolean;
}

/** Workflow types, started by name from the dispatcher (which may run in any process). */
export const MESSAGE_DEADLINE_BUCKET_WORKFLOW = 'messageDeadlineBucket';
export type MessageDeadlineBucketWorkflow = (input: MessageDeadlineBucketInput) => Promise<number>;
export const MESSAGE_RELAY_WORKFLOW = 'messageRelay';

/**
 * One bucket per task queue and slice end. The task queue is part of the id because the worker
 * that runs the bucket is the one whose dispatcher started it (tests give each worker its own).
 */
export const messageDeadlineBucketId = (env: string, taskQueue: string, fireAt: number): string => `${env}.msg-deadline-${taskQueue}-${fireAt}`;
/** The one message outbox relay per environment and task queue. */
export const messageRelayId = (env: string, taskQueue: string): string => `${env}.message-relay-${taskQueue}`;

/** The end of the slice a deadline falls in. */
export const deadlineSliceEnd = (deadlineAt: number, sliceMs: number): number => Math.ceil(deadlineAt / sliceMs) * sliceMs;

/** The timers' steps (activities/messages.ts implements them). */
export interface MessageTimerActivities {
  /** Fails the still-undelivered messages whose deadline is in (from, to], a batch at a time. */
  expireMessages(args: { from: number; to: number; limit: number }): Promise<ExpireResult>;
  /** Dispatches outbox rows older than `minAgeMs` (a batch); returns how many were claimed. */
  relayMessageOutbox(args: { limit: number; minAgeMs: number }): Promise<{ claimed: number }>;
}

/** The status event on a conversation's channel (conversationChannel, contracts/channels.ts). */
export const MESSAGE_STATUS_EVENT = 'message.status';
/**
 * Pushed on each member's `user:{id}` when a conversation they are in is created, gets a message, or
 * (to the reader only) is read: every open tab of every member refreshes its list (order, last
 * message, unread count). `data`: {@link ConversationUpdate}.
 */
export const CONVERSATION_UPDATED_EVENT = 'conversation.updated';
export interface ConversationUpdate {
  conversationId: string;
  reason: 'created' | 'message' | 'read';
  members: string[];
  channel: string;
  /** The message that moved it (reason `message`). */
  lastMessage?: { messageId: string; senderId: string; text: string; status: string; createdAt: string };
}
