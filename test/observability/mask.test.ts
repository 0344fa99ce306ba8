import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';
import { maskEmail, maskPersonnummer, scrubApiKey } from '../../src/observability/mask.js';

test('personnummer masking keeps century and last two digits only', () => {
  assert.equal(maskPersonnummer('19111111-1116'), '19xxxxxx-xx16');
  assert.equal(maskPersonnummer('111111+1116'), '11xxxx+xx16');
  assert.equal(maskPersonnummer('191111111116'), '19xxxxxxxx16');
});

test('e-mail masking and API-key scrubbing', () => {
  assert.equal(maskEmail('tessan@test.com'), 't***@test.com');
  assert.equal(scrubApiKey('POST /x/createbenifyorder?apikey=338936767883&a=1'), 'POST /x/createbenifyorder?apikey=***&a=1');
});

test('logger redacts personal fields wherever a call site puts them, and scrubs keys from errors', () => {
  let out = '';
  const sink = new Writable({ write(chunk, _e, cb) { out += chunk.toString(); cb(); } });
  const logger = createLogger({ level: 'info' }, sink);
  logger.info({ person: { personnummer: '19111111-1116' }, order: { email: 'a@b.se', phones: { mobile: '0731234567' } }, apiKey: 'k1' }, 'x');
  logger.error({ err: new Error('connect to https://brp/x?apikey=SECRETKEY failed') }, 'y');
  assert.doesNotMatch(out, /19111111|a@b\.se|0731234567|k1"|SECRETKEY/);
  assert.match(out, /\[redacted\]/);
});
