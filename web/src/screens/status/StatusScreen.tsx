// The system itself: version and mode, the queue, and every worker with where it runs and
// when it was last seen. The queue has no live events, so this one screen refreshes on a
// timer while it is open.
import { useQuery } from "@connectrpc/connect-query";
import { RefreshCw } from "lucide-react";
import { SystemService } from "../../gen/pulsar/v1/api_pb";
import { useNow } from "../../app/useNow";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Button, Card, CardTitle, Empty, PageHeader, Stat, cx } from "../../components/ui";
import { formatAgo, formatCount, formatDateTime } from "../../lib/format";
import { isStale } from "../../lib/hosts";

const REFRESH_MS = 10_000;

export default function StatusScreen() {
  const now = useNow(5000);
  const status = useQuery(SystemService.method.getStatus, {}, { refetchInterval: REFRESH_MS });
  const s = status.data;
  return (
    <>
      <PageHeader title="Status">
        <Button onClick={() => void status.refetch()} disabled={status.isFetching}>
          <RefreshCw aria-hidden="true" className={cx("size-4", status.isFetching && "animate-spin")} /> Refresh
        </Button>
      </PageHeader>
      {status.error && <ErrorNotice error={status.error} onRetry={() => void status.refetch()} className="mb-4" />}
      {!s ? (
        !status.error && <Loading />
      ) : (
        <div className="space-y-4">
          <Card>
            <div className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-6">
              <Stat label="Version" value={s.version || "—"} />
              <Stat label="Mode" value={s.mode} hint={s.mode === "embedded" ? "one process, SQLite" : "PostgreSQL and Redis"} />
              <Stat label="Queued" value={formatCount(s.queueDepth)} hint="tasks waiting" />
              <Stat label="In flight" value={formatCount(s.inFlight)} hint="being checked" />
              <Stat label="Dead letters" value={formatCount(s.deadLetters)} hint="given up on" tone={s.deadLetters > 0n ? "text-down" : undefined} />
              <Stat label="Rollup lag" value={formatCount(s.rollupLag)} hint="results not folded yet" />
            </div>
          </Card>
          <Card aria-labelledby="workers-title">
            <CardTitle id="workers-title">Workers</CardTitle>
            {s.workers.length === 0 ? (
              <Empty>No worker seen recently: nothing is checking the monitors.</Empty>
            ) : (
              <div className="overflow-x-auto">
                <table className="w-full text-sm">
                  <thead>
                    <tr className="border-b border-line text-left text-xs text-muted uppercase">
                      <th scope="col" className="py-1.5 pr-2 font-semibold">Worker</th>
                      <th scope="col" className="px-2 font-semibold">Host</th>
                      <th scope="col" className="px-2 font-semibold">Region</th>
                      <th scope="col" className="pl-2 font-semibold">Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.workers.map((w) => {
                      const stale = isStale(Number(w.lastSeenUnixMs), now, REFRESH_MS);
                      return (
                        <tr key={w.name} className="border-b border-line last:border-0">
                          <td className="py-1.5 pr-2 font-medium break-all">{w.name}</td>
                          <td className="px-2">{w.host}</td>
                          <td className="px-2">{w.region || "—"}</td>
                          <td className={cx("pl-2 whitespace-nowrap", stale && "text-degraded")} title={formatDateTime(w.lastSeenUnixMs)}>
                            {formatAgo(w.lastSeenUnixMs, now)}
                            {stale && " (stale)"}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
