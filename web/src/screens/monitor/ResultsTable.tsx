// The latest results, newest first, with their errors; choosing one shows its waterfall.
// Checks run in a maintenance window carry a small wrench.
import type { CheckResult } from "../../gen/pulsar/v1/check_pb";
import { MaintenanceMark } from "../../components/MaintenanceMark";
import { OutcomeBadge } from "../../components/StateBadge";
import { Empty, cx } from "../../components/ui";
import { formatDateTime, formatUs } from "../../lib/format";
import { failureText } from "./failure";
import { resultKey } from "./results";

export function ResultsTable({
  results,
  selectedKey,
  onSelect,
}: {
  results: CheckResult[];
  selectedKey: string | undefined;
  onSelect: (result: CheckResult) => void;
}) {
  if (results.length === 0) return <Empty>No checks yet; the first one runs within its interval.</Empty>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm tabular-nums">
        <caption className="sr-only">Recent check results; choose one to see its waterfall</caption>
        <thead>
          <tr className="border-b border-line text-left text-xs text-muted uppercase">
            <th scope="col" className="py-1.5 pr-2 font-semibold">When</th>
            <th scope="col" className="px-2 font-semibold">Outcome</th>
            <th scope="col" className="px-2 text-right font-semibold">Status</th>
            <th scope="col" className="px-2 text-right font-semibold">Total</th>
            <th scope="col" className="pl-2 font-semibold">Error</th>
          </tr>
        </thead>
        <tbody>
          {results.map((r) => {
            const key = resultKey(r);
            const selected = key === selectedKey;
            return (
              <tr key={key} className={cx("border-b border-line last:border-0", selected && "bg-surface-2")}>
                <td className="py-1 pr-2 whitespace-nowrap">
                  <button
                    type="button"
                    onClick={() => onSelect(r)}
                    aria-pressed={selected}
                    className="text-left text-accent underline-offset-2 hover:underline"
                  >
                    {formatDateTime(r.startedAtUnixMs)}
                  </button>
                  {r.manual && <span className="ml-1 rounded bg-surface-2 px-1 text-xs">manual</span>}
                  {r.maintenance && <MaintenanceMark className="ml-1" />}
                </td>
                <td className="px-2">
                  <OutcomeBadge outcome={r.outcome} />
                </td>
                <td className="px-2 text-right">{r.statusCode || "—"}</td>
                <td className="px-2 text-right whitespace-nowrap">{formatUs(r.phases?.totalUs)}</td>
                <td className="max-w-[24rem] truncate pl-2 text-muted" title={r.message}>
                  {r.message ? `${failureText(r.failureKind)}: ${r.message}` : ""}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
