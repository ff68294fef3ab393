// Chart rows from the API's series: numbers in milliseconds keyed by what the chart draws.
import type { PhaseSeriesPoint } from "../gen/pulsar/v1/api_pb";
import type { PhaseLatency } from "../gen/pulsar/v1/summary_pb";
import { PHASES, type Phase } from "./waterfall";

export interface LatencyRow {
  at: number;
  p50?: number;
  p95?: number;
  p99?: number;
  uptime?: number;
}

export type PhaseRow = { at: number } & Partial<Record<Phase, number>>;

const ms = (us: bigint) => Number(us) / 1000;

export function phaseOf(latency: readonly PhaseLatency[], phase: Phase | "total"): PhaseLatency | undefined {
  return latency.find((l) => l.phase === phase);
}

/** p50/p95/p99 of the total per point, for the latency chart. */
export function latencyRows(points: readonly PhaseSeriesPoint[]): LatencyRow[] {
  return points.map((p) => {
    const total = phaseOf(p.latency, "total");
    return {
      at: Number(p.atUnixMs),
      p50: total ? ms(total.p50Us) : undefined,
      p95: total ? ms(total.p95Us) : undefined,
      p99: total ? ms(total.p99Us) : undefined,
      uptime: p.uptimePct,
    };
  });
}

/**
 * The mean of each phase per point, for the stacked chart. Means (unlike percentiles) add
 * up, so the stack's height is the mean total and each band its real share.
 */
export function phaseRows(points: readonly PhaseSeriesPoint[]): PhaseRow[] {
  return points.map((p) => {
    const row: PhaseRow = { at: Number(p.atUnixMs) };
    for (const phase of PHASES) {
      const l = phaseOf(p.latency, phase);
      if (l && l.samples > 0n) row[phase] = ms(l.meanUs);
    }
    return row;
  });
}
