// The recent-results list as live checks join it: pure, so ordering and de-duplication
// are unit-tested.
import type { CheckResult } from "../../gen/pulsar/v1/check_pb";

export const RESULTS_PAGE = 50;

/** One result per (slot, manual): the same check arriving from CheckNow and the WebSocket counts once. */
export function resultKey(r: CheckResult): string {
  return `${r.slotUnixMs}:${r.manual ? "m" : "s"}`;
}

/** `results` with `result` added, newest first, once, at most RESULTS_PAGE long. */
export function withNewResult(results: CheckResult[], result: CheckResult): CheckResult[] {
  const key = resultKey(result);
  if (results.some((r) => resultKey(r) === key)) return results;
  return [result, ...results]
    .sort((a, b) => (b.startedAtUnixMs > a.startedAtUnixMs ? 1 : b.startedAtUnixMs < a.startedAtUnixMs ? -1 : 0))
    .slice(0, RESULTS_PAGE);
}
