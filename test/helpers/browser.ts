import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Headless Chromium for the console's browser tests: Debian's `chromium` package (.ci/run
 * installs it), driven by playwright-core (no browser download), a fresh profile per test file,
 * and no traffic of its own (no updates, sync, QUIC or background fetches).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Where the screenshots of each page go (gitignored; CI keeps them as artifacts). */
export const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as test-artifacts/console/NAME.png. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'partnerd-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  // headless: true makes Playwright pass --headless; the rest are ours.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 } });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context, page,
    async shot(name) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
