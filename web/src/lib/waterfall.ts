// Waterfall layout: where each phase of each hop sits on a check's timeline. Pure maths so
// the bars' positions are unit-tested; the component only turns percentages into styles.
import type { CheckResult, Phases } from "../gen/pulsar/v1/check_pb";

export const PHASES = ["dns", "connect", "tls", "ttfb", "download"] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABELS: Record<Phase | "total", string> = {
  dns: "DNS",
  connect: "Connect",
  tls: "TLS",
  ttfb: "TTFB",
  download: "Download",
  total: "Total",
};

/** One bar: a phase of a hop, in microseconds from the check's start and in % of the scale. */
export interface Segment {
  phase: Phase;
  startUs: number;
  durationUs: number;
  leftPct: number;
  widthPct: number;
}

export interface HopRow {
  index: number;
  url: string;
  statusCode: number;
  startUs: number;
  /** Where the hop's last reached phase ended. */
  endUs: number;
  segments: Segment[];
}

export interface WaterfallLayout {
  /** The time the whole chart spans, in microseconds (never 0). */
  scaleUs: number;
  hops: HopRow[];
  /** Axis ticks in microseconds, at "nice" millisecond steps. */
  ticksUs: number[];
}

/** A bar narrower than this (in %) is widened so that a 0.1 ms phase stays visible. */
export const MIN_WIDTH_PCT = 0.6;

export function phaseUs(phases: Phases | undefined, phase: Phase | "total"): number | undefined {
  const value = phases?.[`${phase}Us` as keyof Phases];
  return typeof value === "bigint" ? Number(value) : undefined;
}

/**
 * Lays out `result`: each hop starts at its `startOffsetUs` and its phases follow one another
 * in contract order (they do not overlap). A phase the check did not reach is absent. A
 * result without hops (older data) is drawn as one hop from its summed phases.
 */
export function layoutWaterfall(result: CheckResult): WaterfallLayout {
  const sources =
    result.hops.length > 0
      ? result.hops.map((hop) => ({
          url: hop.url,
          statusCode: hop.statusCode,
          startUs: Number(hop.startOffsetUs),
          phases: hop.phases,
        }))
      : [{ url: "", statusCode: result.statusCode, startUs: 0, phases: result.phases }];

  const rows = sources.map((source, index) => {
    let cursor = source.startUs;
    const spans: Omit<Segment, "leftPct" | "widthPct">[] = [];
    for (const phase of PHASES) {
      const duration = phaseUs(source.phases, phase);
      if (duration === undefined) continue;
      spans.push({ phase, startUs: cursor, durationUs: duration });
      cursor += duration;
    }
    return { index, url: source.url, statusCode: source.statusCode, startUs: source.startUs, endUs: cursor, spans };
  });

  const totalUs = phaseUs(result.phases, "total") ?? 0;
  const scaleUs = Math.max(1, totalUs, ...rows.map((r) => r.endUs));
  const hops: HopRow[] = rows.map(({ spans, ...row }) => ({
    ...row,
    segments: spans.map((s) => placeSegment(s, scaleUs)),
  }));
  return { scaleUs, hops, ticksUs: niceTicks(scaleUs) };
}

function placeSegment(s: Omit<Segment, "leftPct" | "widthPct">, scaleUs: number): Segment {
  const leftPct = (s.startUs / scaleUs) * 100;
  const widthPct = Math.max(MIN_WIDTH_PCT, (s.durationUs / scaleUs) * 100);
  // A widened bar at the very end must not spill past the chart.
  return { ...s, leftPct: Math.min(leftPct, 100 - widthPct), widthPct };
}

/** Ticks at 1/2/5 × 10^n microseconds, about `target` of them, from 0 to at most `scaleUs`. */
export function niceTicks(scaleUs: number, target = 5): number[] {
  if (scaleUs <= 0) return [0];
  const rough = scaleUs / target;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = 0; t <= scaleUs + 1e-9; t += step) ticks.push(t);
  return ticks;
}
