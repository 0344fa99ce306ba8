import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as undiciRequest } from 'undici';
import { benifySignature } from '../../src/ingest/http/benify-signature.js';
import { startIngestServer, type IngestServer } from '../../src/ingest/http/ingest-server.js';
import { processSopFile, type SopFileSummary } from '../../src/ingest/file-drop/sop-file-drop.js';
import { createPullIngest, type PollSummary, type PullIngest } from '../../src/ingest/pull/pull-ingest.js';
import { startEpassiSimulator, startWellnetSimulator, type EpassiSimulator, type WellnetSimulator } from '../../src/simulator/portals/index.js';
import { startPipeline, type Pipeline } from '../../support/pipeline.js';

/**
 * All five portals on one real pipeline (private Redis, BRP simulator, daemon): the push server
 * for Benify and Actiway on a free port, an S&P folder, and the Wellnet and Epassi simulators.
 * Each `send*` hands one payload, as bytes, to the real ingest path of its portal and returns
 * what came out of it. Used by the strict-decoding tests, the render/ingest agreement test and
 * the fuzz properties.
 */

export const ALL_PORTALS_SECRETS = {
  benify: 'benify-all-portals-secret-1',
  actiwayUser: 'actiway',
  actiwayPassword: 'actiway-all-portals-pw',
  wellnetToken: 'wn-all-portals-token',
  epassiClientId: 'partnerd-all',
  epassiSecret: 'ep-all-portals-secret',
} as const;

export const ROUTING = {
  venues: { odenplan: { tenant: 't1', businessUnit: 1 } },
  articles: { 'GYM-12M': '1001', TOWEL: '2001', 'CLIP-10': '1002' },
};

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface AllPortalsRig {
  p: Pipeline;
  server: IngestServer;
  sopRoot: string;
  wellnet: WellnetSimulator;
  epassi: EpassiSimulator;
  pull: PullIngest;
  sendBenify(body: Uint8Array): Promise<HttpAnswer>;
  sendActiway(body: Uint8Array): Promise<HttpAnswer>;
  /** Drops the file into the inbox and processes it; `errorsFile` is the content of rejected/NAME.errors.csv, if written. */
  sendSop(name: string, body: Uint8Array): Promise<{ summary: SopFileSummary; errorsFile?: string }>;
  /** The next Wellnet poll serves exactly these bytes; one poll now. */
  sendWellnetPage(body: Uint8Array): Promise<PollSummary>;
  sendEpassiPage(body: Uint8Array): Promise<PollSummary>;
  close(): Promise<void>;
}

export async function startAllPortals(options: { extra?: Record<string, unknown>; auditLog?: boolean } = {}): Promise<AllPortalsRig> {
  const s = ALL_PORTALS_SECRETS;
  const sopRoot = join(tmpdir(), `partnerd-all-portals-${process.pid}-${Date.now()}`);
  await mkdir(join(sopRoot, 'inbox'), { recursive: true });
  const wellnet = await startWellnetSimulator({ token: s.wellnetToken });
  const epassi = await startEpassiSimulator({ clientId: s.epassiClientId, clientSecret: s.epassiSecret, tokenTtlSeconds: 3600 });
  const never = '0 0 1 1 *';
  const p = await startPipeline({
    auditLog: options.auditLog ?? true,
    extra: {
      portals: {
        benify: { ...ROUTING, secret: s.benify, toleranceSeconds: 300 },
        actiway: { ...ROUTING, username: s.actiwayUser, password: s.actiwayPassword },
        wellnet: { ...ROUTING, baseUrl: wellnet.baseUrl, token: s.wellnetToken, schedule: never, pageSize: 100, timeoutMs: 2_000 },
        epassi: { ...ROUTING, baseUrl: epassi.baseUrl, clientId: s.epassiClientId, clientSecret: s.epassiSecret, scope: 'purchases', schedule: never, pageSize: 50, timeoutMs: 2_000 },
        sop: { ...ROUTING, root: sopRoot },
      },
      ...options.extra,
    },
  });
  const server = await startIngestServer(p.services, { host: '127.0.0.1', port: 0 });
  const pull = createPullIngest(p.services, { notifier: { batchSize: 20, leaseMs: 5_000, retry: { baseDelayMs: 40, maxDelayMs: 200, jitter: 0 } } });

  async function post(path: string, headers: Record<string, string>, body: Uint8Array): Promise<HttpAnswer> {
    const r = await undiciRequest(`${server.url}${path}`, { method: 'POST', headers, body: Buffer.from(body) });
    return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
  }

  return {
    p, server, sopRoot, wellnet, epassi, pull,
    sendBenify(body) {
      const ts = String(Math.floor(Date.now() / 1000));
      return post('/portals/benify/orders', {
        'content-type': 'application/json',
        'x-benify-timestamp': ts,
        'x-benify-signature': benifySignature(s.benify, ts, Buffer.from(body)),
      }, body);
    },
    sendActiway(body) {
      return post('/portals/actiway/orders', {
        'content-type': 'application/xml; charset=utf-8',
        authorization: `Basic ${Buffer.from(`${s.actiwayUser}:${s.actiwayPassword}`).toString('base64')}`,
      }, body);
    },
    async sendSop(name, body) {
      await writeFile(join(sopRoot, 'inbox', name), body);
      const summary = await processSopFile({ root: sopRoot, intake: p.services.portalIntake, logger: p.services.logger }, name);
      const errorsName = join(sopRoot, 'rejected', `${name.replace(/\.csv$/i, '')}.errors.csv`);
      const errorsFile = await readFile(errorsName, 'utf8').catch(() => undefined);
      // The rig's folder holds personal data only for as long as one case needs it.
      for (const folder of ['archive', 'rejected']) await rm(join(sopRoot, folder), { recursive: true, force: true });
      return errorsFile === undefined ? { summary } : { summary, errorsFile };
    },
    async sendWellnetPage(body) {
      wellnet.answerNextPoll(body);
      return pull.pollOnce('wellnet');
    },
    async sendEpassiPage(body) {
      epassi.answerNextPoll(body);
      return pull.pollOnce('epassi');
    },
    async close() {
      await pull.stop();
      await server.close();
      await p.close();
      await wellnet.close();
      await epassi.close();
      await rm(sopRoot, { recursive: true, force: true });
    },
  };
}

/** Files left in the S&P inbox (a processed file is always moved out). */
export async function sopInbox(rig: AllPortalsRig): Promise<string[]> {
  return readdir(join(rig.sopRoot, 'inbox'));
}
