import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PartnerdError } from '../errors.js';
import { MissingEnvError, substituteEnvDeep } from './env-substitution.js';
import { ConfigSchema, type Config, type TenantConfig } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/partnerd.yaml';

/**
 * Reads, substitutes and validates the config once at start. Every problem is reported with the
 * key it concerns (`tenants.odenplan.rateLimit.max: …`), never with a secret's value.
 */
export function loadConfig(path = process.env.PARTNERD_CONFIG ?? DEFAULT_CONFIG_PATH, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PartnerdError('PD_CONFIG_UNREADABLE', `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new PartnerdError('PD_CONFIG_INVALID', `${path}: not valid YAML: ${(err as Error).message}`);
  }
  return configFromObject(raw, path, env);
}

export function configFromObject(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  let substituted: unknown;
  try {
    substituted = substituteEnvDeep(raw ?? {}, env);
  } catch (err) {
    if (err instanceof MissingEnvError) throw new PartnerdError('PD_CONFIG_INVALID', `${source}: ${err.message}`);
    throw err;
  }
  if (env.REDIS_URL && substituted && typeof substituted === 'object') {
    const s = substituted as Record<string, unknown>;
    s.redis = { ...((s.redis as object | undefined) ?? {}), url: env.REDIS_URL };
  }
  const parsed = ConfigSchema.safeParse(substituted);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new PartnerdError('PD_CONFIG_INVALID', `${source}:\n  ${lines.join('\n  ')}`, lines);
  }
  const baseDir = dirname(resolve(source));
  const tenants: Record<string, TenantConfig> = {};
  for (const [name, t] of Object.entries(parsed.data.tenants)) {
    const { apiKey, apiKeyFile, ...rest } = t;
    tenants[name] = { ...rest, name, apiKey: apiKey ?? readSecretFile(apiKeyFile!, `tenants.${name}.apiKeyFile`, baseDir) };
  }
  const xsdPath = isAbsolute(parsed.data.xsdPath) ? parsed.data.xsdPath : resolve(process.cwd(), parsed.data.xsdPath);
  return { ...parsed.data, xsdPath, tenants, source };
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

export function tenantOf(config: Config, name: string): TenantConfig {
  const t = config.tenants[name];
  if (!t) throw new PartnerdError('PD_UNKNOWN_TENANT', name);
  return t;
}
