import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

/** Two admin tokens in files, as an operator would configure them (`admin.tokens`). */
export const ALICE_TOKEN = 'alice-token-0123456789abcdef0123456789';
export const BOB_TOKEN = 'bob-token-fedcba9876543210fedcba987654';

export function adminTokenConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-admin-tokens-'));
  writeFileSync(join(dir, 'alice'), `${ALICE_TOKEN}\n`);
  writeFileSync(join(dir, 'bob'), `${BOB_TOKEN}\n`);
  return {
    tokens: [{ name: 'alice', file: join(dir, 'alice') }, { name: 'bob', file: join(dir, 'bob') }],
    ...extra,
  };
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/** A request to the admin API with alice's token (or `token`: none, another). */
export async function api(base: string, method: 'GET' | 'POST', path: string, body?: unknown, token: string | null = ALICE_TOKEN): Promise<ApiAnswer> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, json, text };
}

export const enc = encodeURIComponent;
