import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './engine.js';

/**
 * The host-network variant of the project's docker-compose.yml that the compose test runs. On this
 * machine containers share the host's network (bridged container networking is untested here),
 * so the file is changed mechanically, and only in what host networking forces:
 *
 * - every service gets `network_mode: host`; `ports` and `networks` go (nothing to publish or join);
 * - service names do not resolve, and the host's ports are shared with other engineers: each
 *   store listens on a free port of 127.0.0.1 (PGPORT for PostgreSQL, --port for Redis and the
 *   simulator, ADMIN_HTTP_PORT for partnerd's admin listener, STANDIN_SSHD_LISTEN for the SFTP
 *   stand-in), on 127.0.0.1 only, and the URLs that named `postgres`, `redis` and
 *   `brp-simulator` name 127.0.0.1;
 * - every client is 127.0.0.1, which the postgres image trusts without a password: initdb's
 *   --auth-host=scram-sha-256 (POSTGRES_INITDB_ARGS, part of the image's interface) makes the
 *   password count as it does across the compose network;
 * - partnerd's image is the one the test built (no `build`);
 * - the services the test does not run go: the tls profile's proxy (its fixed address needs the
 *   compose network) and the observability profile (no local stand-ins for those images).
 *
 * Everything else (images, commands, environment, secrets, volumes, healthchecks, logging,
 * stop_grace_period, depends_on, profiles) is the file as shipped.
 */
export interface VariantPorts {
  postgres: number;
  redis: number;
  simulator: number;
  admin: number;
  sftp: number;
}

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: unknown;
  networks?: unknown;
  network_mode?: string;
  [key: string]: unknown;
};

export const NOT_RUN_HERE = ['caddy', 'prometheus', 'loki', 'promtail', 'grafana'];

export function composeFile(): { services: Record<string, Service>; [key: string]: unknown } {
  return parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
}

export function hostNetworkVariant(image: string, ports: VariantPorts): string {
  const file = composeFile();
  const { services } = file;
  for (const name of NOT_RUN_HERE) delete services[name];
  delete file.networks;
  for (const service of Object.values(services)) {
    service.network_mode = 'host';
    delete service.ports;
    delete service.networks;
  }
  const need = (name: string) => {
    const s = services[name];
    if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
    return s;
  };

  // Each server listens on the host's loopback only.
  const postgres = need('postgres');
  postgres.environment = { ...postgres.environment, PGPORT: String(ports.postgres), POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256' };
  postgres.command = ['postgres', '-c', 'listen_addresses=127.0.0.1'];

  const redis = need('redis');
  redis.command = [...(redis.command ?? []), '--port', String(ports.redis), '--bind', '127.0.0.1'];
  redis.healthcheck = { ...redis.healthcheck!, test: redis.healthcheck!.test.flatMap((a) => (a === 'redis-cli' ? [a, '-p', String(ports.redis)] : [a])) };

  const partnerd = need('partnerd');
  delete partnerd.build;
  partnerd.image = image;
  const env = { ...partnerd.environment! };
  env.DATABASE_URL = replaceHost(env.DATABASE_URL!, 'postgres:5432', `127.0.0.1:${ports.postgres}`);
  env.REDIS_URL = replaceHost(env.REDIS_URL!, 'redis:6379', `127.0.0.1:${ports.redis}`);
  // On the host's network the admin listener stays on loopback (there is no Prometheus here).
  env.ADMIN_HTTP_HOST = '127.0.0.1';
  env.ADMIN_HTTP_PORT = String(ports.admin);
  partnerd.environment = env;

  const sim = need('brp-simulator');
  sim.image = image;
  sim.command = [...sim.command!, '--port', String(ports.simulator)];
  sim.environment = { ...sim.environment, BRP_SIM_HOST: '127.0.0.1' };
  sim.healthcheck = { ...sim.healthcheck!, test: sim.healthcheck!.test.map((a) => a.replace(':8089/', `:${ports.simulator}/`)) };

  const sftp = need('sftp');
  sftp.environment = { ...(sftp.environment as Record<string, string> | undefined), STANDIN_SSHD_LISTEN: `127.0.0.1:${ports.sftp}` };

  // JSON is YAML, and docker-compose's YAML 1.1 parser cannot misread it (`yes` as a boolean).
  return JSON.stringify(file, null, 2);
}

function replaceHost(url: string, from: string, to: string): string {
  if (!url.includes(`@${from}/`) && !url.includes(`//${from}`)) throw new Error(`${url} does not name ${from}`);
  return url.replace(from, to);
}
