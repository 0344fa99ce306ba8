import type { FastifyInstance } from 'fastify';

/**
 * Starts a Fastify server on host:port (port 0: a free one) and tells the port it got and its
 * URL (an IPv6 host in brackets). A server that cannot listen is closed before the error goes
 * on, so a half-started one never keeps the process alive. Every listener of partnerd's starts
 * this way: the push door, the admin listener and the simulators.
 */
export async function listenOn(app: FastifyInstance, host: string, port: number): Promise<{ port: number; url: string }> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return { port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}
