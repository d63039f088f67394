import net from 'node:net';

// A load generator's HTTP/1.1 connection, written for closed-loop benchmarks that share two cores
// with the system they measure. The global fetch (undici) cost the ledger benchmark's load
// generator 0.28 ms of CPU per request, a quarter of all the CPU an entry cost: a load that heavy
// compresses every ratio it measures. This sends a prepared request head on a raw keep-alive
// socket and reads only what framing needs (status, Content-Length or chunked, end of body).

export interface RawResponse {
  status: number;
  body: string;
}

export class RawHttpConnection {
  private readonly socket: net.Socket;
  private readonly ready: Promise<void>;
  private pending: Buffer | null = null;
  private waiter: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null;
  private closedWith: Error | null = null;
  private inFlight = false;

  constructor(
    private readonly host: string,
    port: number,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    // A connection that fails before any request is made: the first request reports it (fail below).
    this.ready.catch(() => undefined);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  /** Sends one request (no other may be in flight on this connection) and resolves with its answer. */
  async request(method: string, path: string, headers: string, body: string): Promise<RawResponse> {
    if (this.inFlight) throw new Error('one request at a time on a RawHttpConnection');
    this.inFlight = true;
    try {
      await this.ready;
    } catch (err) {
      this.inFlight = false;
      throw err;
    }
    if (this.closedWith) {
      this.inFlight = false;
      throw this.closedWith;
    }
    const head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(head + body);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) {
      this.pending = buf;
      return;
    }
    const head = buf.toString('latin1', 0, headEnd).toLowerCase();
    const bodyStart = headEnd + 4;
    let body: string;
    let end: number;
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    if (length) {
      end = bodyStart + Number(length[1]);
      if (buf.length < end) {
        this.pending = buf;
        return;
      }
      body = buf.toString('utf8', bodyStart, end);
    } else if (head.includes('\r\ntransfer-encoding: chunked')) {
      const decoded = readChunked(buf, bodyStart);
      if (decoded instanceof Error) {
        // In a socket's data handler a throw would crash the benchmark: the request fails instead.
        this.fail(decoded);
        this.socket.destroy();
        return;
      }
      if (!decoded) {
        this.pending = buf;
        return;
      }
      ({ body, end } = decoded);
    } else {
      this.fail(new Error('response without Content-Length or chunked body'));
      return;
    }
    this.pending = end < buf.length ? buf.subarray(end) : null;
    const waiter = this.waiter;
    this.waiter = null;
    this.inFlight = false;
    waiter?.resolve({ status: Number(head.slice(9, 12)), body });
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    const waiter = this.waiter;
    this.waiter = null;
    this.inFlight = false;
    waiter?.reject(err);
  }
}

/** A whole chunked body from `start`, null while its last chunk has not arrived, an Error if malformed. */
function readChunked(buf: Buffer, start: number): { body: string; end: number } | Error | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
    if (Number.isNaN(size)) return new Error('malformed chunk size');
    const dataEnd = lineEnd + 2 + size;
    if (buf.length < dataEnd + 2) return null;
    if (size === 0) {
      // No trailers are sent to this client: the body ends with the empty line after the last chunk.
      return { body: Buffer.concat(parts).toString('utf8'), end: dataEnd + 2 };
    }
    parts.push(buf.subarray(lineEnd + 2, dataEnd));
    at = dataEnd + 2;
  }
}
