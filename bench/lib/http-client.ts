import http from 'node:http';

// A load generator's HTTP client: node:http over a keep-alive agent. The global fetch (undici with
// web streams) cost the chat benchmark's load generator a quarter of a core at 300 requests/s, on
// the same two cores as the system it measures; this costs about half of that.

export interface JsonResponse<T> {
  status: number;
  body: T;
}

export function createJsonClient(baseUrl: string, { maxSockets = 64 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const base = new URL(baseUrl);
  const client = {
    /**
     * POSTs a JSON body; resolves with the status and the parsed JSON answer (rejects on a network
     * error). A request whose connection was reset before any answer (a kept-alive socket the server
     * had just closed: it closes idle ones after 5 s, e.g. between steps) is sent once more, as
     * Node's documentation advises; the callers' requests carry their own idempotency keys, and the
     * retries are counted (`resets`) so a report can say so.
     */
    async post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
      const payload = Buffer.from(JSON.stringify(body));
      try {
        return await once<T>(path, payload, headers);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
        client.resets++;
        return once<T>(path, payload, headers);
      }
    },
    /** Requests sent again after a connection reset. */
    resets: 0,
    close(): void {
      agent.destroy();
    },
  };
  return client;

  function once<T>(path: string, payload: Buffer, headers: Record<string, string>): Promise<JsonResponse<T>> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          path,
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as T });
            } catch (err) {
              reject(err as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
