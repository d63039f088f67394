import { Counter, Gauge, Histogram } from 'prom-client';
import { metrics } from '../platform/metrics';

// Frames out are counted per frame and socket, tens of thousands a second: a labelled inc hashes its
// labels each time, which cost more than the rest of the metrics on the send path, so the hot path
// adds to a plain number and the counter takes it when scraped.
const framesOutTallies = new Map<string, { n: number }>();

/** The tally of frames sent by one instance (one object per instance, kept by its sessions). */
export function framesOutOf(instance: string): { n: number } {
  let tally = framesOutTallies.get(instance);
  if (!tally) {
    tally = { n: 0 };
    framesOutTallies.set(instance, tally);
  }
  return tally;
}

/** Gateway metrics, labelled by instance so two gateways in one process stay apart. */
export const gatewayMetrics = {
  connections: new Gauge({ name: 'tidings_gateway_connections', help: 'Open WebSocket connections', labelNames: ['instance'], registers: [metrics] }),
  subscriptions: new Gauge({
    name: 'tidings_gateway_subscriptions',
    help: 'Channel subscriptions held by open connections',
    labelNames: ['instance'],
    registers: [metrics],
  }),
  framesIn: new Counter({ name: 'tidings_gateway_frames_in_total', help: 'Frames received from clients', labelNames: ['instance'], registers: [metrics] }),
  framesOut: new Counter({
    name: 'tidings_gateway_frames_out_total',
    help: 'Frames sent to clients',
    labelNames: ['instance'],
    registers: [metrics],
    // Added up when scraped, from a plain number per instance (framesOutOf).
    collect() {
      for (const [instance, tally] of framesOutTallies) {
        if (tally.n > 0) this.inc({ instance }, tally.n);
        tally.n = 0;
      }
    },
  }),
  closes: new Counter({
    name: 'tidings_gateway_closes_total',
    help: 'Connections closed, by close code',
    labelNames: ['instance', 'code'],
    registers: [metrics],
  }),
  deliveryLag: new Histogram({
    name: 'tidings_gateway_delivery_lag_seconds',
    help: 'From publish (Redis append) to the frame being written to local sockets',
    labelNames: ['instance'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [metrics],
  }),
};
