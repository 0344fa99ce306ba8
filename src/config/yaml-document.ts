import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PartnerdError } from '../errors.js';
import { MissingEnvError, substituteEnvDeep } from './env-substitution.js';

/**
 * The one way partnerd reads a YAML config (the daemon's and the simulator's): read, `${ENV}`
 * substitution, schema validation with every problem reported by key path, never by value.
 */
export function readYamlFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PartnerdError('PD_CONFIG_UNREADABLE', `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new PartnerdError('PD_CONFIG_INVALID', `${path}: not valid YAML: ${(err as Error).message}`);
  }
}

export function validateYamlDocument<S extends z.ZodType>(
  raw: unknown,
  source: string,
  env: NodeJS.ProcessEnv,
  schema: S,
  /** Changes to the substituted document before validation (e.g. REDIS_URL overriding redis.url). */
  adjust?: (document: Record<string, unknown>) => void,
): z.output<S> {
  let substituted: unknown;
  try {
    substituted = substituteEnvDeep(raw ?? {}, env);
  } catch (err) {
    if (err instanceof MissingEnvError) throw new PartnerdError('PD_CONFIG_INVALID', `${source}: ${err.message}`);
    throw err;
  }
  if (adjust && substituted && typeof substituted === 'object' && !Array.isArray(substituted)) adjust(substituted as Record<string, unknown>);
  const parsed = schema.safeParse(substituted);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new PartnerdError('PD_CONFIG_INVALID', `${source}:\n  ${lines.join('\n  ')}`, lines);
  }
  return parsed.data;
}
