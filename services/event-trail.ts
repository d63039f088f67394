// Telling an event's owner, live, that its trail moved: used by the workflow's activities and by
// consumers B and C.
import { userChannel } from '../contracts/channels';
import { EVENT_TRAIL_EVENT, type EventStatus, type TrailStep } from '../contracts/events';
import type { Publisher } from '../gateway/publisher';

// Each step once per event: the verdict is pushed by a local activity, which runs again when the
// workflow task that ran it is retried (a worker killed, a task timed out), and a retried activity
// may have pushed before it failed. The soak at twice its rates saw 952 COMPLETED pushed twice
// without this (docs/reliability.md).
export async function pushTrailUpdate(publisher: Publisher, userId: string, eventId: string, step: TrailStep | EventStatus): Promise<void> {
  await publisher.publish(userChannel(userId), EVENT_TRAIL_EVENT, { eventId, step }, { countConnections: false, dedupeId: `event:${eventId}:${step}` });
}
