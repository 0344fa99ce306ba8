/** One BullMQ queue per tenant, so each BRP instance gets its own rate limit and concurrency. */
export function brpQueueName(tenant: string): string {
  return `brp-${tenant}`;
}

/** BullMQ keys live under `{prefix}:bull:` next to the ledger's. */
export function bullPrefix(prefix: string): string {
  return `${prefix}:bull`;
}

/** BullMQ ids may not contain ':', order keys do: base64url is unique and reversible. */
export function jobIdOf(orderKey: string): string {
  return `o_${Buffer.from(orderKey, 'utf8').toString('base64url')}`;
}
