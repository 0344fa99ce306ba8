/**
 * `${NAME}` and `${NAME:-default}` in configuration values, as in a shell: the default applies
 * when NAME is unset or empty. `$${` is a literal `${`. A reference to an unset variable without
 * a default throws MissingEnvError, whose message names the key and the variable, never a value.
 *
 * Substitution runs on the parsed values (strings in objects and arrays), not on the file text,
 * so a variable's value can never change the structure of the document.
 */

const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Env = Record<string, string | undefined>;

export class MissingEnvError extends Error {
  constructor(
    readonly variable: string,
    readonly key: string,
  ) {
    super(`${key || '(root)'}: environment variable ${variable} is not set and has no default`);
    this.name = 'MissingEnvError';
  }
}

/** Substitutes the references in one string; `key` names the configuration key in errors. */
export function substituteEnv(text: string, env: Env = process.env, key = ''): string {
  if (!text.includes('${')) return text;
  return text.replace(REFERENCE, (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
    if (escaped) return whole.slice(1);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new MissingEnvError(name, key);
  });
}

/** Substitutes in every string of a parsed configuration document (a new document; the input is not changed). */
export function substituteEnvDeep<T>(value: T, env: Env = process.env, key = ''): T {
  if (typeof value === 'string') return substituteEnv(value, env, key) as T;
  if (Array.isArray(value)) return value.map((v, i) => substituteEnvDeep(v, env, `${key}[${i}]`)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnvDeep(v, env, key ? `${key}.${k}` : k);
    return out as T;
  }
  return value;
}
