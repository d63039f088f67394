// WebSocket close codes of the gateway protocol, shared by the server and the client (no imports:
// it bundles into the browser as it is).
/** Close codes the gateway uses; clients reconnect on all but 1008/1009 (their own fault). */
export const CloseCode = {
  /** Server shutting down: reconnect (another instance). */
  goingAway: 1001,
  /** Policy violation: inbound rate limit exceeded. */
  policy: 1008,
  /** Frame larger than the maximum. */
  tooBig: 1009,
  /** Connection reached its maximum lifetime: reconnect with a fresh token. */
  lifetime: 4001,
  /** The client read too slowly and its send buffer passed the limit. */
  slowConsumer: 4002,
  /** The token expired while connected. */
  tokenExpired: 4003,
} as const;
