import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { PartnerdError } from '../errors.js';
import { MissingEnvError, substituteEnv } from './env-substitution.js';
import { readYamlFile, validateYamlDocument } from './yaml-document.js';
import { ERASURE_KEY_MIN_LENGTH } from '../domain/person-hash.js';
import { ConfigSchema, PortalEnabledSchema, type AdminConfig, type Config, type ParsedConfig, type ParsedPortals, type PortalsConfig, type TenantConfig } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/partnerd.yaml';

/**
 * Reads, substitutes and validates the config once at start. Every problem is reported with the
 * key it concerns (`tenants.odenplan.rateLimit.max: …`), never with a secret's value.
 * Without a path: `$PARTNERD_CONFIG`, else config/partnerd.yaml.
 */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const file = path || env.PARTNERD_CONFIG || DEFAULT_CONFIG_PATH;
  return configFromObject(readYamlFile(file), file, env);
}

/**
 * Every environment variable that overrides a key of the config file, applied in one step
 * (`applyEnvOverrides`) after `${ENV}` substitution and before validation, so the value is
 * checked like one written in the file. An empty variable is not set. PARTNERD_CONFIG (which file)
 * is read by loadConfig; nothing else in partnerd reads the environment for its configuration.
 */
export const ENV_OVERRIDES = [
  { env: 'DATABASE_URL', key: ['database', 'url'] },
  { env: 'REDIS_URL', key: ['redis', 'url'] },
  { env: 'LOG_LEVEL', key: ['log', 'level'] },
  // In a container the admin listener must bind beyond loopback for Prometheus to reach it.
  { env: 'ADMIN_HTTP_HOST', key: ['admin', 'http', 'host'] },
  { env: 'ADMIN_HTTP_PORT', key: ['admin', 'http', 'port'], as: 'port' },
  { env: 'INGEST_HTTP_HOST', key: ['ingest', 'http', 'host'] },
  { env: 'INGEST_HTTP_PORT', key: ['ingest', 'http', 'port'], as: 'port' },
  // Behind a reverse proxy in a container (compose's tls profile): the proxy's address.
  { env: 'INGEST_TRUSTED_PROXIES', key: ['ingest', 'http', 'trustedProxies'], as: 'list' },
] as const satisfies ReadonlyArray<{ env: string; key: readonly string[]; as?: 'port' | 'list' }>;

export function applyEnvOverrides(document: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const o of ENV_OVERRIDES) {
    const text = env[o.env];
    if (!text) continue;
    // A port that is not digits is passed on as text, for the schema to name the key.
    const value = !('as' in o) ? text : o.as === 'port' ? (/^\d+$/.test(text) ? Number(text) : text) : text.split(/[\s,]+/).filter(Boolean);
    let section = document;
    for (const k of o.key.slice(0, -1)) {
      const inner = isRecord(section[k]) ? { ...section[k] } : {};
      section[k] = inner;
      section = inner;
    }
    section[o.key[o.key.length - 1]!] = value;
  }
}

export function configFromObject(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const { document, off: portalsOff } = withoutPortalsSwitchedOff(raw, source, env);
  const data = validateYamlDocument(document, source, env, ConfigSchema, (doc) => applyEnvOverrides(doc, env));
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
  const portals = resolvePortalSecrets(data.portals, baseDir);
  // The URL and the password stay apart: ledger/database.ts joins them for pg.
  const db = password === undefined ? database : { ...database, password };
  return {
    ...data, database: db, redis, admin, portals, portalsOff, xsdPath, tenants, source,
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

/**
 * A portal section with `enabled: false` is dropped before anything else in it is substituted or
 * validated: a portal that is off needs none of its variables (BENIFY_SECRET, WELLNET_URL, …), so
 * `docker compose up` and `partnerd status` work with only the portals in use set up. Only
 * `enabled` itself is read here; a value that is not a boolean is left for the schema to report.
 */
function withoutPortalsSwitchedOff(raw: unknown, source: string, env: NodeJS.ProcessEnv): { document: unknown; off: string[] } {
  if (!isRecord(raw) || !isRecord(raw.portals)) return { document: raw, off: [] };
  const portals: Record<string, unknown> = {};
  const off: string[] = [];
  for (const [name, section] of Object.entries(raw.portals)) {
    if (isRecord(section) && section.enabled !== undefined) {
      let enabled = section.enabled;
      try {
        if (typeof enabled === 'string') enabled = substituteEnv(enabled, env, `portals.${name}.enabled`);
      } catch (err) {
        if (err instanceof MissingEnvError) throw new PartnerdError('PD_CONFIG_INVALID', `${source}: ${err.message}`);
        throw err;
      }
      const parsed = PortalEnabledSchema.safeParse(enabled);
      if (parsed.success && !parsed.data) {
        off.push(name);
        continue;
      }
    }
    portals[name] = section;
  }
  return { document: { ...raw, portals }, off };
}

/** Each portal's secret from its inline value or its file (e.g. /run/secrets/benify_secret). */
function resolvePortalSecrets(parsed: ParsedPortals, baseDir: string): PortalsConfig {
  const secret = (inline: string | undefined, file: string | undefined, key: string) =>
    inline ?? (file !== undefined ? readSecretFile(file, key, baseDir) : undefined);
  const portals: PortalsConfig = {};
  const { benify, actiway, wellnet, epassi, sop } = parsed;
  if (benify) {
    const { enabled: _on, secret: s, secretFile, previousSecret: p, previousSecretFile, ...rest } = benify;
    const value = secret(s, secretFile, 'portals.benify.secretFile')!;
    if (value.length < 16) throw new PartnerdError('PD_CONFIG_INVALID', 'portals.benify.secretFile: the secret must have at least 16 characters');
    // An empty previous-secret file is "no rotation in progress", like an empty BENIFY_PREVIOUS_SECRET.
    const previous = p ?? (previousSecretFile !== undefined ? readSecretFile(previousSecretFile, 'portals.benify.previousSecretFile', baseDir, { emptyIsNone: true }) : undefined);
    portals.benify = { ...rest, secret: value, ...(previous !== undefined ? { previousSecret: previous } : {}) };
  }
  if (actiway) {
    const { enabled: _on, password, passwordFile, ...rest } = actiway;
    portals.actiway = { ...rest, password: secret(password, passwordFile, 'portals.actiway.passwordFile')! };
  }
  if (wellnet) {
    const { enabled: _on, token, tokenFile, ...rest } = wellnet;
    portals.wellnet = { ...rest, token: secret(token, tokenFile, 'portals.wellnet.tokenFile')! };
  }
  if (epassi) {
    const { enabled: _on, clientSecret, clientSecretFile, ...rest } = epassi;
    portals.epassi = { ...rest, clientSecret: secret(clientSecret, clientSecretFile, 'portals.epassi.clientSecretFile')! };
  }
  if (sop) {
    const { enabled: _on, ...rest } = sop;
    portals.sop = rest;
  }
  return portals;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A file holding only a secret, trimmed. Empty: an error, or with `emptyIsNone` no secret. */
function readSecretFile(file: string, key: string, baseDir: string): string;
function readSecretFile(file: string, key: string, baseDir: string, options: { emptyIsNone: true }): string | undefined;
function readSecretFile(file: string, key: string, baseDir: string, options?: { emptyIsNone: true }): string | undefined {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let value: string;
  try {
    value = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new PartnerdError('PD_CONFIG_INVALID', `${key}: cannot read secret file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (value) return value;
  if (options?.emptyIsNone) return undefined;
  throw new PartnerdError('PD_CONFIG_INVALID', `${key}: cannot read secret file (file is empty)`);
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
