/**
 * The most timestamps (ms, sorted ascending) that fall in any one window [t, t + widthMs): how a
 * sliding-window rate limit at BRP's door would count calls. Used by the backlog bench and the
 * chaos outage scenario to check the drain never exceeds the tenant's limit.
 */
export function busiestWindow(sorted: readonly number[], widthMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - widthMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
