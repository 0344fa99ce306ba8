import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { createLogger } from '../src/observability/logger.js';

/**
 * Every log line the test run produces is appended to one file. `npm test` names it in
 * PARTNERD_TEST_LOG for both of its steps: the suite writes it, then the log audit
 * (test/log-audit/) reads it and fails if a test personnummer or API key appears anywhere in it.
 * Without the variable (a test file run on its own) it is one file per `node --test` run: test
 * files are child processes of the runner, so they share its pid as ppid.
 */
export const TEST_LOG_DIR = join(tmpdir(), 'partnerd-test-logs');
export const TEST_LOG_FILE = process.env.PARTNERD_TEST_LOG || join(TEST_LOG_DIR, `run-${process.ppid}.log`);

mkdirSync(dirname(TEST_LOG_FILE), { recursive: true });

export function appendTestLog(text: string): void {
  appendFileSync(TEST_LOG_FILE, text);
}

/**
 * A pino logger writing to the run's log file; `lines` keeps what it wrote for assertions.
 * `toFile: false` keeps the lines in memory only (long fuzz runs, which check every line themselves).
 */
export function testLogger(level = 'debug', options: { toFile?: boolean } = {}): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const toFile = options.toFile ?? true;
  const stream = {
    write(chunk: string) {
      if (toFile) appendFileSync(TEST_LOG_FILE, chunk);
      for (const l of chunk.split('\n')) if (l.trim()) lines.push(JSON.parse(l));
    },
  };
  return { logger: createLogger({ level }, stream), lines };
}

/**
 * Duplicate keys in one JSON line (JSON.parse silently keeps the last one; Elasticsearch refuses
 * the document). JSON is YAML, and the YAML parser can be told to refuse repeated keys.
 */
export function duplicateKeyError(line: string): string | undefined {
  try {
    parseYaml(line, { uniqueKeys: true });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
