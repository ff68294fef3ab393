// The detail screen's charts over a window: total latency percentiles, and the mean of each
// phase stacked. Clicking a point asks for the waterfall of a check in that step.
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MouseHandlerDataParam } from "recharts/types/synchronisation/types";
import { formatClock, formatDateTime, formatMs } from "../../lib/format";
import type { LatencyRow, PhaseRow } from "../../lib/series";
import { PHASES, PHASE_LABELS } from "../../lib/waterfall";

const AXIS = { stroke: "var(--muted)", fontSize: 11, tickLine: false } as const;
const TOOLTIP_STYLE = {
  contentStyle: { background: "var(--surface)", border: "1px solid var(--line)", borderRadius: 8, color: "var(--ink)" },
  labelStyle: { color: "var(--muted)" },
} as const;

/** Axis labels stay on one line: whole milliseconds unless the values are tiny. */
function axisMs(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(1)} s`;
  return v >= 10 || v === 0 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

function timeTick(spanMs: number) {
  return (ms: number) => formatClock(ms, spanMs > 36 * 3_600_000);
}

function clickedIndex(state: MouseHandlerDataParam): number | undefined {
  const index = state.activeTooltipIndex ?? state.activeIndex;
  return typeof index === "number" ? index : index === undefined ? undefined : Number(index);
}

export function LatencyChart({ rows, spanMs, onPick }: { rows: LatencyRow[]; spanMs: number; onPick: (index: number) => void }) {
  return (
    <ResponsiveContainer width="100%" height={220}>
      <LineChart
        data={rows}
        margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
        onClick={(state) => {
          const i = clickedIndex(state);
          if (i !== undefined) onPick(i);
        }}
        style={{ cursor: "pointer" }}
      >
        <CartesianGrid stroke="var(--line)" vertical={false} />
        <XAxis dataKey="at" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={timeTick(spanMs)} {...AXIS} />
        <YAxis width={64} tickFormatter={axisMs} {...AXIS} />
        <Tooltip
          {...TOOLTIP_STYLE}
          labelFormatter={(v) => formatDateTime(Number(v))}
          formatter={(v) => formatMs(Number(v))}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        <Line type="monotone" dataKey="p50" name="p50" stroke="var(--ttfb)" dot={rows.length < 4} strokeWidth={2} isAnimationActive={false} connectNulls />
        <Line type="monotone" dataKey="p95" name="p95" stroke="var(--degraded)" dot={rows.length < 4} strokeWidth={1.5} isAnimationActive={false} connectNulls />
        <Line type="monotone" dataKey="p99" name="p99" stroke="var(--down)" dot={rows.length < 4} strokeWidth={1.5} strokeDasharray="4 3" isAnimationActive={false} connectNulls />
      </LineChart>
    </ResponsiveContainer>
  );
}

export function PhaseChart({ rows, spanMs, onPick }: { rows: PhaseRow[]; spanMs: number; onPick: (index: number) => void }) {
  return (
    <ResponsiveContainer width="100%" height={220}>
      <AreaChart
        data={rows}
        margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
        onClick={(state) => {
          const i = clickedIndex(state);
          if (i !== undefined) onPick(i);
        }}
        style={{ cursor: "pointer" }}
      >
        <CartesianGrid stroke="var(--line)" vertical={false} />
        <XAxis dataKey="at" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={timeTick(spanMs)} {...AXIS} />
        <YAxis width={64} tickFormatter={axisMs} {...AXIS} />
        <Tooltip {...TOOLTIP_STYLE} labelFormatter={(v) => formatDateTime(Number(v))} formatter={(v) => formatMs(Number(v))} />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        {PHASES.map((phase) => (
          <Area
            key={phase}
            type="monotone"
            dataKey={phase}
            name={PHASE_LABELS[phase]}
            stackId="phases"
            stroke={`var(--${phase})`}
            fill={`var(--${phase})`}
            fillOpacity={0.75}
            dot={rows.length < 4}
            isAnimationActive={false}
          />
        ))}
      </AreaChart>
    </ResponsiveContainer>
  );
}
