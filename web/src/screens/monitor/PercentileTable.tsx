// Per-phase percentiles over the chosen window, read from the rollups (within 4 %).
import type { Summary } from "../../gen/pulsar/v1/summary_pb";
import { Empty, cx } from "../../components/ui";
import { formatCount, formatUs } from "../../lib/format";
import { PHASE_LABELS, type Phase } from "../../lib/waterfall";
import { PHASE_BG } from "./Waterfall";

export function PercentileTable({ summary }: { summary: Summary | undefined }) {
  if (!summary || summary.latency.length === 0) return <Empty>No checks in this window yet.</Empty>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm whitespace-nowrap tabular-nums">
        <caption className="sr-only">Latency percentiles per phase</caption>
        <thead>
          <tr className="border-b border-line text-left text-xs text-muted uppercase">
            <th scope="col" className="py-1.5 pr-2 font-semibold">Phase</th>
            <th scope="col" className="px-2 text-right font-semibold">p50</th>
            <th scope="col" className="px-2 text-right font-semibold">p95</th>
            <th scope="col" className="px-2 text-right font-semibold">p99</th>
            <th scope="col" className="px-2 text-right font-semibold">mean</th>
            <th scope="col" className="pl-2 text-right font-semibold">checks</th>
          </tr>
        </thead>
        <tbody>
          {summary.latency.map((l) => {
            const isTotal = l.phase === "total";
            const label = PHASE_LABELS[l.phase as Phase | "total"] ?? l.phase;
            return (
              <tr key={l.phase} className={cx("border-b border-line last:border-0", isTotal && "font-semibold")}>
                <th scope="row" className="py-1.5 pr-2 text-left font-medium">
                  <span className="inline-flex items-center gap-1.5">
                    {!isTotal && <span aria-hidden="true" className={cx("inline-block size-2.5 rounded-sm", PHASE_BG[l.phase as Phase])} />}
                    {label}
                  </span>
                </th>
                <td className="px-2 text-right">{formatUs(l.p50Us)}</td>
                <td className="px-2 text-right">{formatUs(l.p95Us)}</td>
                <td className="px-2 text-right">{formatUs(l.p99Us)}</td>
                <td className="px-2 text-right">{formatUs(l.meanUs)}</td>
                <td className="pl-2 text-right text-muted">{formatCount(l.samples)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
