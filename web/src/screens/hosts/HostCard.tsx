// One host: who it is, whether it still reports, what of it fires, its resources now, and
// their history.
import { useMemo, useState } from "react";
import { keepPreviousData } from "@tanstack/react-query";
import { createConnectQueryKey, useQuery, useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { Clock, Server } from "lucide-react";
import { HostService, type GetHostSnapshotResponse, type HostEntry } from "../../gen/pulsar/v1/api_pb";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Card, cx } from "../../components/ui";
import { formatAgo, formatSpan } from "../../lib/format";
import { appendRow, isStale, rowFromPoint, rowFromSnapshot, type HostRow } from "../../lib/hosts";
import { useLiveEvents } from "../../live/LiveProvider";
import { HostCharts } from "./charts";
import { FiringBanner } from "./FiringBanner";
import { CpuSection, MemorySection, MountsSection, NetworkSection, TasksSection, TopProcesses, Unavailable } from "./sections";

const HISTORY_MS = 60 * 60 * 1000;

export function HostCard({ entry, now }: { entry: HostEntry; now: number }) {
  const transport = useTransport();
  const client = useQueryClient();
  const [fromMs] = useState(() => Date.now() - HISTORY_MS);
  const [live, setLive] = useState<HostRow[]>([]);
  const snapshotQ = useQuery(HostService.method.getHostSnapshot, { host: entry.host });
  const seriesQ = useQuery(
    HostService.method.getHostSeries,
    { host: entry.host, fromUnixMs: BigInt(fromMs), maxPoints: 240 },
    { placeholderData: keepPreviousData },
  );

  useLiveEvents((batch) => {
    for (const event of batch) {
      if (event.kind.case !== "hostSampled" || event.kind.value.hostId !== entry.host) continue;
      const snapshot = event.kind.value.snapshot;
      if (!snapshot) continue;
      client.setQueryData(
        createConnectQueryKey({ schema: HostService.method.getHostSnapshot, input: { host: entry.host }, transport, cardinality: "finite" }),
        (old: GetHostSnapshotResponse | undefined) => (old ? { ...old, snapshot } : old),
      );
      setLive((rows) => appendRow(rows, rowFromSnapshot(snapshot), Date.now() - HISTORY_MS));
    }
  });

  const rows = useMemo(() => {
    let merged = (seriesQ.data?.points ?? []).map(rowFromPoint);
    for (const row of live) merged = appendRow(merged, row, now - HISTORY_MS);
    return merged;
  }, [seriesQ.data, live, now]);

  const snapshot = snapshotQ.data?.snapshot;
  const lastSeen = Math.max(Number(entry.lastSeenUnixMs), Number(snapshot?.takenAtUnixMs ?? 0n));
  const stale = isStale(lastSeen, now, Number(snapshot?.rateIntervalMs ?? 0n));
  const info = snapshot?.info;
  const cores = info?.logicalCores ?? snapshot?.cpu?.cores.length ?? 0;

  return (
    <Card aria-labelledby={`host-${entry.host}`} data-testid="host-card" data-stale={stale} className={cx(stale && "border-degraded/60")}>
      <div className="mb-4 flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 id={`host-${entry.host}`} className="flex items-center gap-2 text-lg font-semibold break-all">
            <Server aria-hidden="true" className="size-5 shrink-0 text-accent" /> {entry.host}
          </h2>
          {info && (
            <p className="text-xs text-muted">
              {[
                snapshot?.hostname && snapshot.hostname !== entry.host ? snapshot.hostname : "",
                `${info.osName} ${info.osVersion}`.trim(),
                `kernel ${info.kernelVersion}`,
                info.architecture,
                `${info.logicalCores} cores`,
                `up ${formatSpan(info.uptimeSeconds)}`,
              ]
                .filter(Boolean)
                .join(" · ")}
            </p>
          )}
        </div>
        <span
          className={cx("inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-semibold", stale ? "bg-degraded/15 text-degraded" : "bg-up/15 text-up")}
          data-testid="host-freshness"
        >
          <Clock aria-hidden="true" className="size-3.5" />
          {stale ? `Stale: last report ${formatAgo(lastSeen, now)}` : `Reporting · ${formatAgo(lastSeen, now)}`}
        </span>
      </div>
      <FiringBanner host={entry.host} now={now} stale={stale} />
      {snapshotQ.error && <ErrorNotice error={snapshotQ.error} onRetry={() => void snapshotQ.refetch()} />}
      {!snapshot ? (
        !snapshotQ.error && <Loading label="Loading the host…" />
      ) : (
        <div className="space-y-5">
          <Unavailable snapshot={snapshot} />
          <div className="grid gap-5 lg:grid-cols-3">
            <CpuSection cpu={snapshot.cpu} cores={cores} />
            <MemorySection memory={snapshot.memory} />
            <div className="space-y-5">
              <MountsSection filesystems={snapshot.filesystems} />
              <NetworkSection networks={snapshot.networks} />
            </div>
          </div>
          {seriesQ.error ? <ErrorNotice error={seriesQ.error} onRetry={() => void seriesQ.refetch()} /> : <HostCharts rows={rows} cores={cores} />}
          <div className="grid gap-5 lg:grid-cols-3">
            <TasksSection tasks={snapshot.tasks} />
            <TopProcesses title="Top by CPU" processes={snapshot.topByCpu} by="cpu" />
            <TopProcesses title="Top by memory" processes={snapshot.topByMemory} by="memory" />
          </div>
        </div>
      )}
    </Card>
  );
}
