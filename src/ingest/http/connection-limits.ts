import { BlockList, isIPv4, isIPv6, type Socket } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { logEvent } from '../../observability/log-event.js';

/**
 * Caps on the push port's open connections, so that a handful of clients cannot hold it: in total
 * (Node's own `server.maxConnections`: the connection over it is closed at once), and per client
 * address (counted here, because Node has no such option: the connection over it is destroyed
 * before the HTTP parser reads a byte). Connections from a trusted reverse proxy carry many
 * clients, so they count only in the total. Each time an address starts being refused, and each
 * time the total is reached, one warning is logged, not one per connection.
 */
export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerClient: number;
  /** Addresses or CIDR ranges whose connections are not capped per client. */
  trustedProxies: readonly string[];
}

export function limitConnections(server: Server, limits: ConnectionLimits, logger: Logger): void {
  server.maxConnections = limits.maxConnections;
  const proxies = blockListOf(limits.trustedProxies);
  const open = new Map<string, number>();
  const refusing = new Set<string>();
  let saturated = false;

  server.on('drop', () => {
    if (saturated) return;
    saturated = true;
    logEvent(logger, 'ingest.connections_refused', { limit: 'total', maxConnections: limits.maxConnections });
  });

  server.prependListener('connection', (socket: Socket) => {
    saturated = false;
    const address = plainAddress(socket.remoteAddress);
    if (address === undefined || isTrusted(proxies, address)) return;
    const count = open.get(address) ?? 0;
    if (count >= limits.maxConnectionsPerClient) {
      socket.destroy();
      if (!refusing.has(address)) {
        refusing.add(address);
        logEvent(logger, 'ingest.connections_refused', { limit: 'client', client: address, maxConnectionsPerClient: limits.maxConnectionsPerClient });
      }
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
      refusing.delete(address);
    });
  });
}

/** `::ffff:127.0.0.1` (an IPv4 client of a dual-stack socket) is 127.0.0.1. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const type = isIPv6(address!) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(prefix), type);
  }
  return list;
}

function isTrusted(proxies: BlockList, address: string): boolean {
  return proxies.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}
