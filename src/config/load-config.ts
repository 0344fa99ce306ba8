import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { PartnerdError } from '../errors.js';
import { readYamlFile, validateYamlDocument } from './yaml-document.js';
import { ERASURE_KEY_MIN_LENGTH } from '../privacy/person-hash.js';
import { ConfigSchema, type AdminConfig, type Config, type ParsedConfig, type TenantConfig } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/partnerd.yaml';

/**
 * Reads, substitutes and validates the config once at start. Every problem is reported with the
 * key it concerns (`tenants.odenplan.rateLimit.max: …`), never with a secret's value.
 */
export function loadConfig(path = process.env.PARTNERD_CONFIG ?? DEFAULT_CONFIG_PATH, env: NodeJS.ProcessEnv = process.env): Config {
  return configFromObject(readYamlFile(path), path, env);
}

export function configFromObject(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const data = validateYamlDocument(raw, source, env, ConfigSchema, (doc) => {
    if (env.REDIS_URL) doc.redis = { ...((doc.redis as object | undefined) ?? {}), url: env.REDIS_URL };
    if (env.DATABASE_URL) doc.database = { ...((doc.database as object | undefined) ?? {}), url: env.DATABASE_URL };
    // In a container the admin listener must bind beyond loopback for Prometheus to reach it.
    if (env.ADMIN_HTTP_HOST || env.ADMIN_HTTP_PORT) {
      const admin = (doc.admin as Record<string, unknown> | undefined) ?? {};
      const http = { ...((admin.http as object | undefined) ?? {}) } as Record<string, unknown>;
      if (env.ADMIN_HTTP_HOST) http.host = env.ADMIN_HTTP_HOST;
      if (env.ADMIN_HTTP_PORT) http.port = /^\d+$/.test(env.ADMIN_HTTP_PORT) ? Number(env.ADMIN_HTTP_PORT) : env.ADMIN_HTTP_PORT;
      doc.admin = { ...admin, http };
    }
  });
  const baseDir = dirname(resolve(source));
  const tenants: Record<string, TenantConfig> = {};
  for (const [name, t] of Object.entries(data.tenants)) {
    const { apiKey, apiKeyFile, ...rest } = t;
    tenants[name] = { ...rest, name, apiKey: apiKey ?? readSecretFile(apiKeyFile!, `tenants.${name}.apiKeyFile`, baseDir) };
  }
  const xsdPath = isAbsolute(data.xsdPath) ? data.xsdPath : resolve(process.cwd(), data.xsdPath);
  const { passwordFile, ...database } = data.database;
  const password = passwordFile ? readSecretFile(passwordFile, 'database.passwordFile', baseDir) : undefined;
  const { passwordFile: redisPasswordFile, sentinelPasswordFile, tls, ...redisRest } = data.redis;
  const redis = {
    ...redisRest,
    ...(redisPasswordFile ? { password: readSecretFile(redisPasswordFile, 'redis.passwordFile', baseDir) } : {}),
    ...(sentinelPasswordFile ? { sentinelPassword: readSecretFile(sentinelPasswordFile, 'redis.sentinelPasswordFile', baseDir) } : {}),
    ...(tls ? { tls: { ...(tls.caFile ? { ca: readPemFile(tls.caFile, 'redis.tls.caFile', baseDir) } : {}), ...(tls.servername ? { servername: tls.servername } : {}) } } : {}),
  };
  const { erasureKey, erasureKeyFile, ...retention } = data.retention;
  const key = erasureKey ?? readSecretFile(erasureKeyFile!, 'retention.erasureKeyFile', baseDir);
  if (key.length < ERASURE_KEY_MIN_LENGTH) {
    throw new PartnerdError('PD_CONFIG_INVALID', `retention.erasureKeyFile: the key must be at least ${ERASURE_KEY_MIN_LENGTH} characters`);
  }
  const admin = adminSection(data.admin, baseDir);
  return {
    ...data, database: { ...database, ...(password !== undefined ? { password } : {}) }, redis, admin, xsdPath, tenants, source,
    retention: { ...retention, erasureKey: key },
  };
}

/** Admin tokens shorter than this are refused: they guard every operator action. */
export const MIN_ADMIN_TOKEN_LENGTH = 24;

function adminSection(admin: ParsedConfig['admin'], baseDir: string): AdminConfig {
  const tokens = admin.tokens.map((t, i) => {
    const token = readSecretFile(t.file, `admin.tokens[${i}].file`, baseDir);
    if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new PartnerdError('PD_CONFIG_INVALID', `admin.tokens[${i}].file: the token must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`);
    }
    return { name: t.name, token };
  });
  const { sessionKeyFile, ...consoleRest } = admin.console;
  let sessionKey: Buffer | undefined;
  if (sessionKeyFile) {
    const hex = readSecretFile(sessionKeyFile, 'admin.console.sessionKeyFile', baseDir);
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new PartnerdError('PD_CONFIG_INVALID', 'admin.console.sessionKeyFile: must hold 64 hex characters (32 bytes, e.g. openssl rand -hex 32)');
    sessionKey = Buffer.from(hex, 'hex');
  }
  return { ...admin, tokens, console: { ...consoleRest, ...(sessionKey ? { sessionKey } : {}) } };
}

function readSecretFile(file: string, key: string, baseDir: string): string {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  try {
    const value = readFileSync(path, 'utf8').trim();
    if (!value) throw new Error('file is empty');
    return value;
  } catch (err) {
    throw new PartnerdError('PD_CONFIG_INVALID', `${key}: cannot read secret file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function readPemFile(file: string, key: string, baseDir: string): string {
  const pem = readSecretFile(file, key, baseDir);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new PartnerdError('PD_CONFIG_INVALID', `${key}: not a PEM certificate`);
  return pem;
}

export function tenantOf(config: Config, name: string): TenantConfig {
  const t = config.tenants[name];
  if (!t) throw new PartnerdError('PD_UNKNOWN_TENANT', name);
  return t;
}
