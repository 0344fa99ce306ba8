import { request } from 'undici';

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  type?: string;
  help?: string;
  samples: Sample[];
}

/** The Prometheus text exposition format, read into families (histogram _bucket/_sum/_count samples under their family). */
export function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') family(meta[2]!).type = meta[3];
      else family(meta[2]!).help = meta[3];
      continue;
    }
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const name = m[1]!;
    const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    family(families.has(base) ? base : name).samples.push({ name, labels, value: Number(m[3]) });
  }
  return families;
}

/** The value of the one sample with exactly these labels (0 when absent). */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string>): number {
  const f = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  const s = f?.samples.find((x) => x.name === name && Object.keys(labels).length === Object.keys(x.labels).length && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

export async function scrape(adminUrl: string): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await request(`${adminUrl}/metrics`);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}: ${text.slice(0, 200)}`);
  return { text, families: parseMetrics(text) };
}

/** Every metric the issue requires, with exactly these labels. */
export const REQUIRED_METRICS: Record<string, { type: string; labels: string[] }> = {
  partnerd_orders_total: { type: 'counter', labels: ['portal', 'tenant', 'outcome'] },
  partnerd_brp_request_duration_seconds: { type: 'histogram', labels: ['tenant', 'class'] },
  partnerd_orders: { type: 'gauge', labels: ['state', 'tenant'] },
  partnerd_orders_settled_counted_timestamp_seconds: { type: 'gauge', labels: [] },
  partnerd_queue_jobs: { type: 'gauge', labels: ['tenant', 'state'] },
  partnerd_oldest_waiting_order_age_seconds: { type: 'gauge', labels: ['tenant'] },
  partnerd_tenant_paused: { type: 'gauge', labels: ['tenant', 'reason'] },
  partnerd_portal_stopped: { type: 'gauge', labels: ['portal'] },
  partnerd_portal_last_poll_success_timestamp_seconds: { type: 'gauge', labels: ['portal'] },
  partnerd_notify_backlog: { type: 'gauge', labels: ['portal'] },
  partnerd_ingest_requests_total: { type: 'counter', labels: ['portal', 'status'] },
  partnerd_confirmed_amount_ore_total: { type: 'counter', labels: ['portal', 'tenant'] },
};
