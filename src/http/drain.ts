// Graceful shutdown of the HTTP server (and of the servers attached to it, the OTLP/gRPC one): stop accepting, answer every request already received,
// close idle keep-alive connections, and close whatever is still open when the grace period ends.
//
// Closing a keep-alive connection races with a request the client may be sending on it; the only
// close without that race is the one the client is told about. So once draining, every response
// whose headers are not yet written says `connection: close` (a ServerResponse subclass, so that
// the refusal gate's raw answers say it too), and Node closes the connection after it. Connections
// that were idle when the drain began are closed at once: they have no request in flight.

import { ServerResponse, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Another server that stops with the HTTP server (the OTLP/gRPC server): same grace, same force. */
export interface DrainableServer {
  /** Stops accepting and resolves once what is in flight is answered. */
  close(): Promise<void>;
  /** Ends what is still in flight now. */
  force(): void;
}

/** How often, while draining, connections that have just become idle are closed. */
const IDLE_SWEEP_MS = 100;

export class ConnectionDrain {
  private draining = false;
  private forceNow: (() => void) | undefined;
  private readonly servers: DrainableServer[] = [];
  /** The `ServerResponse` option of the server: a response that closes its connection once draining. */
  readonly Response: typeof ServerResponse;

  constructor() {
    const drain = this;
    const writeHead = ServerResponse.prototype.writeHead;
    class DrainingResponse extends ServerResponse {}
    // Node writes implicit headers through writeHead too, so this sees every response.
    DrainingResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (drain.draining && !this.headersSent) this.setHeader('connection', 'close');
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof writeHead;
    this.Response = DrainingResponse as typeof ServerResponse;
  }

  /** Drains `server` with the HTTP server from now on. */
  attach(server: DrainableServer): void {
    this.servers.push(server);
  }

  get active(): boolean {
    return this.draining;
  }

  /**
   * Stops the server and resolves once every connection is closed: in-flight requests are
   * answered, and after `graceMs` the connections still open (slow clients) are destroyed.
   * `force()` ends the grace period early. Resolves `forced` when any connection was destroyed.
   */
  async close(app: FastifyInstance, graceMs: number): Promise<{ forced: boolean }> {
    this.draining = true;
    const server: Server = app.server;
    let forced = false;
    this.forceNow = () => {
      forced = true;
      server.closeAllConnections();
      for (const other of this.servers) other.force();
    };
    const deadline = setTimeout(this.forceNow, graceMs);
    let sweep: NodeJS.Timeout | undefined;
    // The other servers stop accepting now too, and answer their calls in flight meanwhile.
    const othersClosed = Promise.all(this.servers.map((other) => other.close()));
    try {
      // Node reads every socket that is ready in one poll phase. Two immediates let one more poll
      // run first, so a request whose bytes had already arrived when the signal did is read and
      // counts as in flight, not idle (closing it would reset a request the client had sent).
      await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
      // Responses begun before the drain may still have promised keep-alive.
      sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      // Fastify's close: new requests get 503 + connection: close, idle connections are closed,
      // and it resolves once the server has no connection left.
      await app.close();
      await othersClosed;
    } finally {
      clearInterval(sweep);
      clearTimeout(deadline);
    }
    return { forced };
  }

  /** Ends the grace period now (a second signal). */
  force(): void {
    this.forceNow?.();
  }
}
