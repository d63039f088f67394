// Telling an event's owner, live, that its trail moved: used by the workflow's activities and by
// consumers B and C.
import { userChannel } from '../contracts/channels';
import { EVENT_TRAIL_EVENT, type EventStatus, type TrailStep } from '../contracts/events';
import type { Publisher } from '../gateway/publisher';

export async function pushTrailUpdate(publisher: Publisher, userId: string, eventId: string, step: TrailStep | EventStatus): Promise<void> {
  await publisher.publish(userChannel(userId), EVENT_TRAIL_EVENT, { eventId, step }, { countConnections: false });
}
