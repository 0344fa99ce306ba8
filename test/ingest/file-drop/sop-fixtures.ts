import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SOP_HEADER } from '../../../src/portals/sop.js';

export const SOP_VENUES = { odenplan: { tenant: 't1', businessUnit: 1 }, 'gbg-city': { tenant: 't1', businessUnit: 2 } };
export const SOP_ARTICLES = { 'GYM-12M': '1001', TOWEL: '2001', 'CLIP-10': '1002', BAR: '9999' };

/** `extra` for startPipeline: the S&P section on a temporary root. Article BAR maps to a product BRP does not know. */
export function sopExtra(root: string, sop: Record<string, unknown> = {}): Record<string, unknown> {
  return { portals: { sop: { root, venues: SOP_VENUES, articles: SOP_ARTICLES, ...sop } }, ingest: { http: { enabled: false } } };
}

export async function tempRoot(name: string): Promise<string> {
  const root = join(tmpdir(), `partnerd-${name}-${process.pid}-${Date.now()}`);
  await mkdir(root, { recursive: true });
  return root;
}

/** Empties the S&P root between tests (the folders are created again by whoever needs them). */
export async function resetRoot(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'inbox'), { recursive: true });
}

export async function drop(root: string, name: string, content: string | Buffer): Promise<void> {
  await writeFile(join(root, 'inbox', name), content);
}

/** Every file below root, relative, sorted: the whole visible state of the folders. */
export async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p));
    }
  }
  await walk(root);
  return out.sort();
}

export const HEADER_LINE = SOP_HEADER.join(';');

type Column = (typeof SOP_HEADER)[number];

/** One data row (a valid GYM-12M line at odenplan for Tessan Testsson unless overridden). */
export function sopRow(ordernr: string, overrides: Partial<Record<Column, string>> = {}): string {
  const base: Record<Column, string> = {
    Ordernummer: ordernr, Orderdatum: '2026-11-20', Organisationsnummer: '556123-4567', 'Företagsnamn': 'Test Org AB',
    'Förnamn': 'Tessan', Efternamn: 'Testsson', Personnummer: '19111111-1116', Utdelningsadress: 'Testgatan 4',
    Postnummer: '123 45', Postort: 'Teststad', Land: 'SE', 'E-post': 'tessan@test.com', Mobiltelefon: '073-123 45 67',
    'Anläggning': 'odenplan', Artikelnummer: 'GYM-12M', Startdatum: '2026-12-01', 'Belopp inkl moms': '2 500,00', 'Förnya': 'Nej',
    ...overrides,
  };
  return SOP_HEADER.map((c) => base[c]).join(';');
}

export function sopFile(rows: string[], eol = '\r\n'): string {
  return [HEADER_LINE, ...rows].join(eol) + eol;
}

/**
 * sop.md's example file, made harder: byte-order mark, CRLF, a company name with `;` and doubled
 * quotes, "2 500,00", "10,00 kr", a no-break space as thousands separator, a 12-digit
 * personnummer, an empty Land, empty e-mail and phone.
 */
export function contractExample(a = 'SP-100045', b = 'SP-100046'): string {
  return `\uFEFF${sopFile([
    `${a};2026-11-20;556123-4567;Test Org AB;Tessan;Testsson;19111111-1116;Testgatan 4;123 45;Teststad;SE;tessan@test.com;073-123 45 67;odenplan;GYM-12M;2026-12-01;2 500,00;Nej`,
    `${a};2026-11-20;556123-4567;Test Org AB;Tessan;Testsson;19111111-1116;Testgatan 4;123 45;Teststad;SE;tessan@test.com;073-123 45 67;odenplan;TOWEL;2026-12-01;10,00 kr;Nej`,
    `${b};2026-11-20;5560160680;"Bröderna ""Ek"" & Söner; AB";Åsa;Öberg;201212121212;Storgatan 1;41101;Göteborg;;;;gbg-city;CLIP-10;2026-11-21;1\u00A0950,50;Nej`,
  ])}`;
}
