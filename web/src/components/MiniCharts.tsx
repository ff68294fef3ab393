// The overview's sparkline and 90-check strip as plain SVG: a thousand rows of Recharts
// would be far too heavy, and these need no axes or tooltips.
import { memo } from "react";
import { Outcome } from "../gen/pulsar/v1/check_pb";
import { sparklinePath, stripPaths } from "../lib/sparkline";
import { STRIP_CHECKS } from "../live/overview";
import { outcomeTone, TONE_LABEL } from "./StateBadge";

export const Sparkline = memo(function Sparkline({
  values,
  width = 120,
  height = 28,
}: {
  values: readonly (number | null)[];
  width?: number;
  height?: number;
}) {
  const d = sparklinePath(values, width, height);
  const finished = values.filter((v): v is number => v !== null);
  const label =
    finished.length === 0
      ? "No latency yet"
      : `Latency of the last ${values.length} checks, ${Math.round(Math.min(...finished))} to ${Math.round(Math.max(...finished))} ms`;
  return (
    <svg role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} className="overflow-visible">
      <path d={d} fill="none" stroke="var(--accent)" strokeWidth={1.5} strokeLinejoin="round" strokeLinecap="round" />
    </svg>
  );
});

const TONE_FILL = { up: "var(--up)", degraded: "var(--degraded)", down: "var(--down)", unknown: "var(--unknown)" } as const;

export const CheckStrip = memo(function CheckStrip({
  outcomes,
  width = 180,
  height = 22,
}: {
  outcomes: readonly Outcome[];
  width?: number;
  height?: number;
}) {
  const paths = stripPaths(outcomes, STRIP_CHECKS, width, height);
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const label = TONE_LABEL[outcomeTone(o)].toLowerCase();
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const summary =
    outcomes.length === 0
      ? "No checks yet"
      : `Last ${outcomes.length} checks: ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}`;
  return (
    <svg role="img" aria-label={summary} width={width} height={height} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none">
      <title>{summary}</title>
      <rect width={width} height={height} rx={2} fill="var(--surface-2)" />
      {[...paths].map(([outcome, d]) => (
        <path key={outcome} d={d} fill={TONE_FILL[outcomeTone(outcome) as keyof typeof TONE_FILL] ?? TONE_FILL.unknown} />
      ))}
    </svg>
  );
});
