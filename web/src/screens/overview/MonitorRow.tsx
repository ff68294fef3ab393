// One monitor on the overview. Memoized on the row object: a live event replaces only the
// rows it touches, so only those re-render.
import { memo } from "react";
import { Outcome } from "../../gen/pulsar/v1/check_pb";
import { Link } from "../../app/router";
import { paths } from "../../app/routes";
import { CheckStrip, Sparkline } from "../../components/MiniCharts";
import { StateBadge } from "../../components/StateBadge";
import { formatPct, formatUs, MISSING } from "../../lib/format";
import type { OverviewRow } from "../../live/overview";

function latency(row: OverviewRow): string {
  const latest = row.latest;
  if (!latest) return MISSING;
  // A down check's time says little; what failed says more.
  if (latest.outcome === Outcome.DOWN) return latest.statusCode > 0 ? `HTTP ${latest.statusCode}` : "failed";
  return formatUs(latest.phases?.totalUs);
}

export const MonitorRow = memo(function MonitorRow({ row, wide }: { row: OverviewRow; wide: boolean }) {
  const m = row.monitor;
  const href = paths.monitor(m.id);
  if (wide) {
    return (
      <Link
        href={href}
        data-testid="monitor-row"
        data-monitor={m.name}
        className="grid h-full grid-cols-[minmax(0,1fr)_7rem_6rem_5.5rem_8rem_11.5rem] items-center gap-3 border-b border-line px-4 hover:bg-surface-2"
      >
        <span className="min-w-0">
          <span className="block truncate font-medium">{m.name}</span>
          <span className="block truncate text-xs text-muted">{m.url}</span>
        </span>
        <StateBadge state={m.state} className="text-sm" />
        <span className="text-right text-sm tabular-nums" title="Latest check's total time">
          {latency(row)}
        </span>
        <span className="text-right text-sm tabular-nums" title="Uptime over 24 hours">
          {formatPct(row.uptime24hPct)}
        </span>
        <Sparkline values={row.recentTotalMs} />
        <CheckStrip outcomes={row.recentOutcomes} />
      </Link>
    );
  }
  return (
    <Link
      href={href}
      data-testid="monitor-row"
      data-monitor={m.name}
      className="flex h-full flex-col justify-center gap-1 border-b border-line px-3 hover:bg-surface-2"
    >
      <span className="flex items-center justify-between gap-2">
        <span className="min-w-0 truncate font-medium">{m.name}</span>
        <StateBadge state={m.state} className="shrink-0 text-sm" />
      </span>
      <span className="truncate text-xs text-muted">{m.url}</span>
      <span className="flex items-center justify-between gap-2 text-xs tabular-nums">
        <CheckStrip outcomes={row.recentOutcomes} width={150} height={16} />
        <span>{latency(row)}</span>
        <span title="Uptime over 24 hours">{formatPct(row.uptime24hPct)}</span>
      </span>
    </Link>
  );
});
