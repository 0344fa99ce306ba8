import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The fuzz suite (fuzz/properties/*.property.ts) in `npm test`: every property, small and with a
 * fixed seed, so that CI catches a regression in seconds and the same cases run every time.
 * `npm run fuzz` runs the same files at full size (FUZZ_RUNS, default 100000). A new property
 * file is picked up here without touching this one.
 */
process.env.FUZZ_RUNS = '300';
process.env.FUZZ_SEED = '20261201';
delete process.env.FUZZ_PATH;

const dir = fileURLToPath(new URL('../../fuzz/properties/', import.meta.url));
for (const file of readdirSync(dir).filter((f) => f.endsWith('.property.ts')).sort()) {
  await import(new URL(file, `file://${dir}`).href);
}
