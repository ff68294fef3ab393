// A host's history: CPU and load, memory, network, and processes by state; drawn from the
// stored series and extended by live samples.
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatBytes, formatBytesAxis, formatClock, formatDateTime, formatPct, formatRate } from "../../lib/format";
import { TASK_STATES, TASK_STATE_LABELS, type HostRow } from "../../lib/hosts";

const AXIS = { stroke: "var(--muted)", fontSize: 10, tickLine: false } as const;
const TOOLTIP = {
  contentStyle: { background: "var(--surface)", border: "1px solid var(--line)", borderRadius: 8, color: "var(--ink)", fontSize: 12 },
  labelStyle: { color: "var(--muted)" },
  labelFormatter: (v: unknown) => formatDateTime(Number(v)),
} as const;
const HEIGHT = 150;

const STATE_COLORS: Record<(typeof TASK_STATES)[number], string> = {
  running: "var(--up)",
  sleeping: "var(--connect)",
  disk_sleep: "var(--degraded)",
  stopped: "var(--paused)",
  zombie: "var(--down)",
  idle: "var(--dns)",
};

function Frame({ title, children }: { title: string; children: React.ReactElement }) {
  return (
    <figure className="min-w-0">
      <figcaption className="mb-1 text-xs font-medium text-muted">{title}</figcaption>
      <ResponsiveContainer width="100%" height={HEIGHT}>
        {children}
      </ResponsiveContainer>
    </figure>
  );
}

const x = <XAxis dataKey="at" type="number" scale="time" domain={["dataMin", "dataMax"]} tickFormatter={(v: number) => formatClock(v)} {...AXIS} />;

/** Processes or threads stacked by state over time: the same chart for both. */
function tasksByState(data: object[], title: string, of: "processes" | "threads") {
  return (
    <Frame title={title}>
      <AreaChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="var(--line)" vertical={false} />
        {x}
        <YAxis width={34} allowDecimals={false} {...AXIS} />
        <Tooltip {...TOOLTIP} formatter={(v) => Math.round(Number(v))} />
        <Legend wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
        {TASK_STATES.map((s) => (
          <Area
            key={s}
            dataKey={`${of}.${s}`}
            name={TASK_STATE_LABELS[s]}
            stackId={of}
            stroke={STATE_COLORS[s]}
            fill={STATE_COLORS[s]}
            fillOpacity={0.6}
            isAnimationActive={false}
          />
        ))}
      </AreaChart>
    </Frame>
  );
}

export function HostCharts({ rows, cores }: { rows: HostRow[]; cores: number }) {
  const data = rows.map((r) => ({ ...r, ...r.tasks }));
  // Memory is drawn against the whole of it, so "how full" reads at a glance.
  const memTotal = Math.max(0, ...rows.map((r) => r.memTotal ?? 0));
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="host-charts">
      <Frame title={`CPU busy % and load (${cores} cores)`}>
        <LineChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--line)" vertical={false} />
          {x}
          <YAxis yAxisId="pct" domain={[0, 100]} width={34} {...AXIS} />
          <YAxis yAxisId="load" orientation="right" width={30} {...AXIS} />
          <Tooltip {...TOOLTIP} formatter={(v, name) => (name === "CPU" ? formatPct(Number(v), 1) : Number(v).toFixed(2))} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Line yAxisId="pct" dataKey="cpu" name="CPU" stroke="var(--connect)" dot={false} isAnimationActive={false} />
          <Line yAxisId="load" dataKey="load1" name="Load 1m" stroke="var(--degraded)" dot={false} isAnimationActive={false} />
        </LineChart>
      </Frame>
      <Frame title="Memory used">
        <AreaChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--line)" vertical={false} />
          {x}
          <YAxis width={60} domain={[0, memTotal || "auto"]} tickFormatter={formatBytesAxis} {...AXIS} />
          <Tooltip {...TOOLTIP} formatter={(v) => formatBytes(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Area dataKey="memUsed" name="Memory" stroke="var(--download)" fill="var(--download)" fillOpacity={0.3} isAnimationActive={false} />
          <Area dataKey="swapUsed" name="Swap" stroke="var(--tls)" fill="var(--tls)" fillOpacity={0.3} isAnimationActive={false} />
        </AreaChart>
      </Frame>
      <Frame title="Network (all interfaces but loopback)">
        <LineChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--line)" vertical={false} />
          {x}
          <YAxis width={76} tickFormatter={(v: number) => `${formatBytesAxis(v)}/s`} {...AXIS} />
          <Tooltip {...TOOLTIP} formatter={(v) => formatRate(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Line dataKey="rx" name="rx" stroke="var(--ttfb)" dot={false} isAnimationActive={false} />
          <Line dataKey="tx" name="tx" stroke="var(--dns)" dot={false} isAnimationActive={false} />
        </LineChart>
      </Frame>
      <Frame title="Disk I/O (all devices)">
        <LineChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--line)" vertical={false} />
          {x}
          <YAxis width={76} tickFormatter={(v: number) => `${formatBytesAxis(v)}/s`} {...AXIS} />
          <Tooltip {...TOOLTIP} formatter={(v) => formatRate(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Line dataKey="diskRead" name="read" stroke="var(--connect)" dot={false} isAnimationActive={false} />
          <Line dataKey="diskWrite" name="write" stroke="var(--tls)" dot={false} isAnimationActive={false} />
        </LineChart>
      </Frame>
      {tasksByState(data, "Processes by state", "processes")}
      {tasksByState(data, "Threads by state", "threads")}
    </div>
  );
}
