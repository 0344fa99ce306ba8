import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import luhn from 'luhn-js';
import { isPartnerdError } from '../../src/errors.js';
import { substituteEnv, substituteEnvDeep, MissingEnvError } from '../../src/config/env-substitution.js';
import {
  isValidOcr,
  loadSimulatorConfig,
  ocrNumber,
  runSimulatorFromCli,
  startBrpSimulator,
  summariseVat,
  vatPartOfInclusive,
} from '../../src/simulator/index.js';
import { newAgent, orderXml, postOrder } from './fixtures.js';

const CONFIG = fileURLToPath(new URL('../../config/simulator.yaml', import.meta.url));
const XSD = fileURLToPath(new URL('../../xsd/createpartnerorder.xsd', import.meta.url));

describe('VAT in integer öre', () => {
  it('rounds the VAT part of a VAT-inclusive price half up', () => {
    assert.equal(vatPartOfInclusive(250000n, 6), 14151n); // 14150.94
    assert.equal(vatPartOfInclusive(1000n, 25), 200n);
    assert.equal(vatPartOfInclusive(1000n, 12), 107n); // 107.14
    assert.equal(vatPartOfInclusive(14n, 12), 2n); // exactly 1.5 → 2
    assert.equal(vatPartOfInclusive(9n, 6), 1n); // 0.509
    assert.equal(vatPartOfInclusive(8n, 6), 0n); // 0.45
    assert.equal(vatPartOfInclusive(0n, 25), 0n);
    assert.equal(vatPartOfInclusive(12345n, 0), 0n);
    assert.equal(vatPartOfInclusive(10n ** 20n, 25), 2n * 10n ** 19n);
  });

  it('sums per rate, highest rate first', () => {
    const s = summariseVat([
      { priceIncVat: 250000n, ratePercent: 6 },
      { priceIncVat: 1000n, ratePercent: 25 },
      { priceIncVat: 9n, ratePercent: 6 },
    ]);
    assert.deepEqual(s, {
      sum: 251009n,
      vat: 14352n,
      sumExVat: 236657n,
      vatSums: [
        { rate: 25, amount: 200n },
        { rate: 6, amount: 14152n },
      ],
    });
  });
});

describe('OCR numbers', () => {
  it('reproduces the doc\'s example: invoice 14 → OCR 1446 (reference + length digit + Luhn digit)', () => {
    assert.equal(ocrNumber(14), '1446');
    assert.equal(ocrNumber(1), '133');
    assert.equal(ocrNumber('123456'), '12345682');
  });

  it('always has a valid mod-10 check digit (checked with luhn-js) and length digit', () => {
    for (let n = 1; n <= 2000; n += 7) {
      const ocr = ocrNumber(n);
      assert.ok(luhn.isValid(ocr), ocr);
      assert.ok(isValidOcr(ocr), ocr);
    }
    assert.equal(isValidOcr('1447'), false);
    assert.equal(isValidOcr('1456'), false, 'wrong length digit');
  });
});

describe('environment substitution', () => {
  it('substitutes ${VAR} and ${VAR:-default}', () => {
    const env = { A: 'x', EMPTY: '' };
    assert.equal(substituteEnv('${A}-${B:-dflt}-${EMPTY:-e}-$${A}', env), 'x-dflt-e-${A}');
    assert.deepEqual(substituteEnvDeep({ k: ['${A}', 3, true, null] }, env), { k: ['x', 3, true, null] });
    assert.throws(
      () => substituteEnvDeep({ instances: { s: { apiKey: '${NOPE}' } } }, env),
      (err: unknown) => err instanceof MissingEnvError && err.message === 'instances.s.apiKey: environment variable NOPE is not set and has no default',
    );
  });
});

describe('simulator configuration', () => {
  it('loads config/simulator.yaml with the sandbox defaults', () => {
    const o = loadSimulatorConfig(CONFIG, {});
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, 8089);
    assert.equal(o.xsdPath, XSD);
    assert.ok(existsSync(o.xsdPath));
    assert.deepEqual(o.faults, {});
    const sandbox = o.instances.sandbox!;
    assert.equal(sandbox.apiKey, 'sandbox-key');
    assert.equal(sandbox.renewAllowed, true);
    assert.deepEqual(sandbox.catalogue.businessUnits, [
      { id: 1, name: 'Odenplan' },
      { id: 2, name: 'Göteborg City' },
    ]);
    assert.deepEqual(
      sandbox.catalogue.products.map((p) => [p.number, p.vatRate]),
      [
        ['64575F', 6],
        ['1001', 6],
        ['1002', 6],
        ['2001', 25],
        ['3001', 12],
        ['1003', 6],
      ],
    );
  });

  it('takes the api key from the environment', () => {
    assert.equal(loadSimulatorConfig(CONFIG, { BRP_SIM_API_KEY: 'from-env' }).instances.sandbox!.apiKey, 'from-env');
  });

  it('reports invalid configuration by key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simcfg-'));
    try {
      const file = join(dir, 'sim.yaml');
      writeFileSync(
        file,
        [
          'xsdPath: x.xsd',
          'instances:',
          '  a:',
          '    apiKey: ${SIM_KEY_THAT_IS_NOT_SET:-k}',
          '    catalogue:',
          '      businessUnits: [{ id: 1, name: One }]',
          '      products:',
          '        - { number: 1, name: P, type: article, vatRate: 25, businessUnits: [7] }',
          'faults: { rate5xx: 3 }',
        ].join('\n'),
      );
      assert.throws(
        () => loadSimulatorConfig(file, {}),
        (err: unknown) =>
          isPartnerdError(err, 'PD_CONFIG_INVALID') &&
          (err.details as string[]).join('|') === 'instances.a.catalogue.products.0.businessUnits.0: unknown business unit 7|faults.rate5xx: Too big: expected number to be <=1',
      );
      writeFileSync(file, 'xsdPath: x.xsd\ninstances:\n  a:\n    apiKey: ${SIM_KEY_THAT_IS_NOT_SET}\n');
      assert.throws(
        () => loadSimulatorConfig(file, {}),
        (err: unknown) => isPartnerdError(err, 'PD_CONFIG_INVALID') && err.message.includes('instances.a.apiKey: environment variable SIM_KEY_THAT_IS_NOT_SET'),
      );
      assert.throws(() => loadSimulatorConfig(join(dir, 'missing.yaml')), (err: unknown) => isPartnerdError(err, 'PD_CONFIG_UNREADABLE'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a simulator started from the file accepts a sandbox order', async () => {
    const o = loadSimulatorConfig(CONFIG, {});
    const sim = await startBrpSimulator({ ...o, port: 0 });
    const agent = newAgent();
    try {
      assert.equal(sim.baseUrl('sandbox'), `${sim.url}/sandbox/`);
      const res = await postOrder(sim, orderXml({ items: [{ productnumber: '1001', priceincvat: 599900, renew: true }] }), {
        instance: 'sandbox',
        apiKey: 'sandbox-key',
        dispatcher: agent,
      });
      assert.equal(res.status, 200);
      assert.match(res.body, /<name>Årskort gym<\/name>/);
      assert.throws(() => sim.baseUrl('nosuch'), (err: unknown) => isPartnerdError(err, 'PD_UNKNOWN_TENANT'));
    } finally {
      await sim.close();
      await agent.close();
    }
  });

  it('runSimulatorFromCli logs the URL and base URLs, never the api key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const sim = await runSimulatorFromCli(CONFIG, { port: 0, latencyMs: 1 }, pino({ level: 'debug' }, sink));
    try {
      const listening = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.baseUrls);
      assert.ok(listening);
      assert.deepEqual(listening.baseUrls, { sandbox: `${sim.url}/sandbox/`, brpgog: `${sim.url}/brpgog/` });
      assert.equal((listening.faults as Record<string, unknown>).latencyMs, 1);
      const res = await postOrder(sim, orderXml(), { instance: 'sandbox', apiKey: 'sandbox-key' });
      assert.equal(res.status, 200);
      assert.ok(lines.some((l) => l.includes('"outcome":"ok"')), 'the request was logged');
      for (const l of lines) {
        assert.ok(!l.includes('sandbox-key'), 'no api key in the logs');
        assert.ok(!l.includes('111111-1116') && !l.includes('Tessan'), 'no personal data in the logs');
      }
      assert.ok(process.listenerCount('SIGTERM') >= 1);
    } finally {
      await sim.close();
    }
    assert.equal(process.listenerCount('SIGTERM'), 0);
  });
});
