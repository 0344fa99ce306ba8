import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Fault injection shared by the pull-portal simulators (Wellnet, Epassi).
 *
 * Each request to a portal route takes one action: the next entry of the route's own script
 * (`scriptByRoute[route]`), else the next entry of `script`, else `ok`. Actions:
 *  - `ok`                 normal processing
 *  - `401`                401 although the credentials are right (token revoked on the portal's side)
 *  - `429`                429 with `Retry-After: {retryAfterSeconds}`
 *  - `500` / `503`        server error, nothing processed
 *  - `reset`              the connection is destroyed before anything is processed
 *  - `reset-after-commit` the request IS processed (a delivery / mark is recorded), then the
 *                         connection is destroyed: the client never sees the answer
 *  - `invalid-utf8`       (polls) the normal page, with byte 0xFF in the middle of the first
 *                         person's first name: what a portal with a broken export serves
 * Independently of the scripts, `down` makes the portal refuse every connection (each new socket
 * is closed at once, open keep-alive sockets are destroyed): the portal is unreachable.
 */

export const PORTAL_FAULT_ACTIONS = ['ok', '401', '429', '500', '503', 'reset', 'reset-after-commit', 'invalid-utf8'] as const;
export type PortalFaultAction = (typeof PORTAL_FAULT_ACTIONS)[number];

/** `poll`: GET of orders / purchases; `ack`: Wellnet delivery / Epassi PATCH; `token`: Epassi OAuth. */
export type PortalRoute = 'poll' | 'ack' | 'token';

export interface PortalFaultConfig {
  /** Actions consumed one per request (any route), after the route's own script. */
  script?: PortalFaultAction[];
  /** Actions consumed one per request of that route, before `script`. */
  scriptByRoute?: Partial<Record<PortalRoute, PortalFaultAction[]>>;
  /** Refuse every connection (unreachable) until set back to false. */
  down?: boolean;
  /** Seconds in a 429's `Retry-After`; default 1. */
  retryAfterSeconds?: number;
}

export class PortalFaults {
  private script: PortalFaultAction[];
  private byRoute: Partial<Record<PortalRoute, PortalFaultAction[]>>;
  private isDown: boolean;
  readonly retryAfterSeconds: number;
  private readonly sockets = new Set<Socket>();
  /** Connections closed because the portal was down. */
  refusedConnections = 0;

  constructor(config: PortalFaultConfig = {}) {
    this.script = [...(config.script ?? [])];
    this.byRoute = Object.fromEntries(Object.entries(config.scriptByRoute ?? {}).map(([k, v]) => [k, [...(v ?? [])]]));
    this.isDown = config.down ?? false;
    this.retryAfterSeconds = config.retryAfterSeconds ?? 1;
  }

  /** Watches the server's connections so that `down` can refuse and cut them. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => {
      if (this.isDown) {
        this.refusedConnections++;
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  next(route: PortalRoute): PortalFaultAction {
    const own = this.byRoute[route];
    if (own && own.length > 0) return own.shift()!;
    if (this.script.length > 0) return this.script.shift()!;
    return 'ok';
  }

  /** The next `n` requests (of `route`, or of any route) take `action`. */
  failNext(n: number, action: PortalFaultAction, route?: PortalRoute): void {
    const list = Array.from({ length: n }, () => action);
    if (route) (this.byRoute[route] ??= []).push(...list);
    else this.script.push(...list);
  }

  setDown(down: boolean): void {
    this.isDown = down;
    if (down) for (const s of this.sockets) s.destroy();
  }

  get down(): boolean {
    return this.isDown;
  }

  /** What is left of the scripts. */
  pending(): { script: PortalFaultAction[]; scriptByRoute: Partial<Record<PortalRoute, PortalFaultAction[]>>; down: boolean } {
    return {
      script: [...this.script],
      scriptByRoute: Object.fromEntries(Object.entries(this.byRoute).map(([k, v]) => [k, [...(v ?? [])]])),
      down: this.isDown,
    };
  }

  clear(): void {
    this.script = [];
    this.byRoute = {};
    this.setDown(false);
  }

  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}
