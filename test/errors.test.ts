import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ERROR_CODES, INTERNAL_ERRORS, PartnerdError, type ErrorCode } from '../src/errors.js';
import { malformedXml, parseUntrustedXml } from '../src/xml/safe-xml.js';

/**
 * The error catalogue (src/errors.ts) against the source and the docs, as Fastify checks its
 * lib/errors.js: every code is thrown somewhere and documented, no code is documented that does
 * not exist, and nothing else is thrown in src/ unless INTERNAL_ERRORS names it with its reason.
 */
const ROOT = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(join(ROOT, 'src')).map((path) => ({ rel: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
const outside = files.filter((f) => f.rel !== 'src/errors.ts');
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

test('every code in the catalogue is thrown somewhere in src/ (no dead codes)', () => {
  const constructed = new Set(outside.flatMap((f) => [...f.text.matchAll(/new PartnerdError\(\s*'(PD_[A-Z_]+)'/g)].map((m) => m[1]!)));
  for (const code of CODES) assert.ok(constructed.has(code), `${code} is never constructed: remove it from src/errors.ts and docs/errors.md`);
  assert.ok(constructed.size >= 15, `${constructed.size} codes found`);
});

test('docs/errors.md lists exactly the catalogue, each with its message; the README links it', () => {
  const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `(PD_[A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);
  assert.deepEqual(rows.map(([code]) => code).sort(), [...CODES].sort(), 'one row per code, no other');
  for (const [code, message] of rows) assert.equal(message, ERROR_CODES[code as ErrorCode], `${code}'s message in docs/errors.md`);
  assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /\(docs\/errors\.md\)/);
});

test('no error is thrown in src/ outside the catalogue unless INTERNAL_ERRORS names it, and every entry is still true', () => {
  const listed = (file: string, error: string) => INTERNAL_ERRORS.some((e) => e.file === file && e.error === error);
  // Error classes of partnerd's own: PartnerdError, or an internal one named where it is declared.
  const classes = new Set<string>();
  for (const f of files) {
    for (const m of f.text.matchAll(/\bclass (\w+) extends (\w*Error)\b/g)) {
      classes.add(m[1]!);
      if (m[1] === 'PartnerdError' && f.rel === 'src/errors.ts') continue;
      assert.ok(listed(f.rel, m[1]!), `${f.rel}: class ${m[1]} extends ${m[2]}: make it a PartnerdError, or name it in INTERNAL_ERRORS with why`);
    }
  }
  // Every error constructed: a PartnerdError, an internal class (anywhere), or named with its file.
  for (const f of outside) {
    for (const m of f.text.matchAll(/\bnew (\w*Error|\w+)\(/g)) {
      const name = m[1]!;
      if (!name.endsWith('Error') && !classes.has(name)) continue;
      if (name === 'PartnerdError' || classes.has(name)) continue;
      assert.ok(listed(f.rel, name), `${f.rel}: new ${name}(…): throw a PartnerdError with a code, or name it in INTERNAL_ERRORS with why`);
    }
  }
  for (const e of INTERNAL_ERRORS) {
    const file = files.find((f) => f.rel === e.file);
    assert.ok(file, `${e.file} (INTERNAL_ERRORS) exists`);
    assert.match(file.text, new RegExp(`\\b(new|class) ${e.error}\\b`), `${e.file} still has ${e.error}: remove the stale entry`);
    assert.ok(e.why.length > 10, `${e.file} ${e.error}: say why`);
  }
});

test('no message is parsed: callers read the code and details, never the catalogue text', () => {
  for (const f of outside) {
    assert.doesNotMatch(f.text, /ERROR_CODES/, `${f.rel} uses the catalogue's messages (read err.code and err.details instead)`);
    assert.doesNotMatch(f.text, /\.exec\(\s*\w+\.message\s*\)|\(err as \w+\)\.message\.(?:match|replace|split)\(/, `${f.rel} parses an error message`);
  }
  // The structured detail that took the place of a parsed message: the line of malformed XML.
  let err: unknown;
  try {
    parseUntrustedXml('<a>\n<b>\n</a>');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof PartnerdError && err.code === 'PD_XML_MALFORMED');
  assert.deepEqual(malformedXml(err), { reason: 'unexpected close tag', line: 3 });
  assert.equal(malformedXml(new PartnerdError('PD_XML_UNSAFE')), undefined);
});
