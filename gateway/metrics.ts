import { Counter, Gauge, Histogram } from 'prom-client';
import { metrics } from '../platform/metrics';

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
  framesOut: new Counter({ name: 'tidings_gateway_frames_out_total', help: 'Frames sent to clients', labelNames: ['instance'], registers: [metrics] }),
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
