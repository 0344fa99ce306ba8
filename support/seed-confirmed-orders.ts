import type pg from 'pg';

/**
 * `count` confirmed orders (keys `t1:PORTAL:BENCH-i`) spread evenly over November 2026 (Stockholm
 * time), five portals in turn, each with BRP's sums as the invoice export reads them: a 6 % item,
 * a 25 % item, every third order a 12 % item too (VAT rounded half up per line, as BRP does), the
 * employer and the total as sent, and no personal data (confirmed orders keep none). One
 * `INSERT … SELECT generate_series`: a million rows in seconds. For the export benchmark and the
 * tests that need a ledger too big to fit in a socket's buffers.
 */
export async function seedConfirmedOrders(db: Pick<pg.ClientBase, 'query'>, count: number): Promise<void> {
  await db.query(SEED, [count]);
}

const SEED = `
  WITH o AS (
    SELECT i, (ARRAY['benify','wellnet','sop','actiway','epassi'])[1 + i % 5] AS portal,
           timestamptz '2026-11-01 00:00:10+01' + (i * 2591000.0 / $1::int) * interval '1 second' AS at,
           250000::bigint AS a, (1000 + i % 1000)::bigint AS b, CASE WHEN i % 3 = 0 THEN 2500::bigint ELSE 0 END AS c
      FROM generate_series(1, $1::int) i
  ), v AS (
    SELECT *, (2 * a * 6 + 106) / 212 AS va, (2 * b * 25 + 125) / 250 AS vb, (2 * c * 12 + 112) / 224 AS vc FROM o
  )
  INSERT INTO orders (key, tenant, portal, ordernr, state, received_at, updated_at, final_at, confirmed_at,
                      brp_order_number, invoice_number, ocr, invoice_date, due_date, sum_ore, sum_ex_vat_ore, invoice_total_ore, vat_sums,
                      organisation_number, organisation_name, organisation_sole_trader, business_unit, order_total_ore, personal_data_removed_at)
  SELECT 't1:' || portal || ':BENCH-' || i, 't1', portal, 'BENCH-' || i, 'confirmed', at, at, at, at,
         (100000 + i)::text, (500000 + i)::text, (500000 + i)::text || (i % 10)::text,
         (at AT TIME ZONE 'Europe/Stockholm')::date, (at AT TIME ZONE 'Europe/Stockholm')::date + 30,
         a + b + c, a + b + c - va - vb - vc, a + b + c,
         CASE WHEN c > 0
           THEN jsonb_build_array(jsonb_build_object('ratePercent', 25, 'amountOre', vb), jsonb_build_object('ratePercent', 12, 'amountOre', vc), jsonb_build_object('ratePercent', 6, 'amountOre', va))
           ELSE jsonb_build_array(jsonb_build_object('ratePercent', 25, 'amountOre', vb), jsonb_build_object('ratePercent', 6, 'amountOre', va)) END,
         '556016-0680', 'Bröderna Ek & Söner, AB', false, (1 + i % 3)::text, a + b + c, at
    FROM v`;
