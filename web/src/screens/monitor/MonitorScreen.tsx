// One monitor in depth: latency percentiles and phases over a window, the waterfall of the
// latest check (or of any result or chart point picked), per-phase percentiles, the TLS
// certificate, incidents and recent results, with the actions to run it.
import { useMemo, useState } from "react";
import { useQueryClient, keepPreviousData } from "@tanstack/react-query";
import { callUnaryMethod, createConnectQueryKey, useQuery, useTransport } from "@connectrpc/connect-query";
import { ArrowLeft, ExternalLink } from "lucide-react";
import { AlertService, MonitorService, type GetMonitorResponse } from "../../gen/pulsar/v1/api_pb";
import type { CheckResult } from "../../gen/pulsar/v1/check_pb";
import type { Monitor } from "../../gen/pulsar/v1/monitor_pb";
import { Link } from "../../app/router";
import { paths } from "../../app/routes";
import { useNow } from "../../app/useNow";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { StateBadge } from "../../components/StateBadge";
import { Card, CardTitle, Empty, Stat, cx } from "../../components/ui";
import { formatCount, formatPct, formatSpan, formatUs, formatWindow } from "../../lib/format";
import { latencyRows, phaseOf, phaseRows } from "../../lib/series";
import { noteMonitorChanged } from "../../live/overviewQuery";
import { LatencyChart, PhaseChart } from "./charts";
import { IncidentTimeline } from "./IncidentTimeline";
import { MonitorActions } from "./MonitorActions";
import { PercentileTable } from "./PercentileTable";
import { ResultsTable } from "./ResultsTable";
import { RESULTS_PAGE, resultKey } from "./results";
import { TlsCard, latestTls } from "./TlsCard";
import { resultsInput, useMonitorLive } from "./useMonitorLive";
import { Waterfall } from "./Waterfall";

const WINDOWS = [3600, 86_400, 7 * 86_400, 30 * 86_400] as const;
const CHART_POINTS = 120;

export default function MonitorScreen({ id }: { id: string }) {
  const transport = useTransport();
  const client = useQueryClient();
  const now = useNow();
  const [windowSeconds, setWindowSeconds] = useState<number>(3600);
  // The series' range is fixed when chosen and moved on when live checks make it stale, so
  // its query key does not change on every render.
  const [seriesTo, setSeriesTo] = useState(() => Date.now());
  const [picked, setPicked] = useState<CheckResult | undefined>();
  const [pickError, setPickError] = useState<unknown>();
  const [deleted, setDeleted] = useState(false);

  const monitorQ = useQuery(MonitorService.method.getMonitor, { id });
  const resultsQ = useQuery(MonitorService.method.listResults, resultsInput(id));
  const summariesQ = useQuery(MonitorService.method.getSummaries, { monitorIds: [id], windowSeconds: [...WINDOWS] });
  const fromMs = Math.floor((seriesTo - windowSeconds * 1000) / 60_000) * 60_000;
  const seriesQ = useQuery(
    MonitorService.method.getPhaseSeries,
    { monitorId: id, fromUnixMs: BigInt(fromMs), maxPoints: CHART_POINTS },
    { placeholderData: keepPreviousData },
  );
  const incidentsQ = useQuery(AlertService.method.listIncidents, { monitorId: id, pageSize: 50 });

  const { addResult } = useMonitorLive(
    id,
    () => {
      void client.invalidateQueries({ queryKey: createConnectQueryKey({ schema: MonitorService.method.getSummaries, transport, cardinality: undefined }) });
      setSeriesTo(Date.now());
    },
    () => setDeleted(true),
  );

  const results = resultsQ.data?.results ?? [];
  const latest = results[0];
  const shown = picked ?? latest;
  const summary = summariesQ.data?.windows.find((w) => w.windowSeconds === windowSeconds)?.summaries[0];
  const points = seriesQ.data?.points ?? [];
  const latency = useMemo(() => latencyRows(points), [points]);
  const phases = useMemo(() => phaseRows(points), [points]);
  const stepMs = Number(seriesQ.data?.stepMs ?? 0n);

  /** The waterfall of a check inside the chart point the user clicked. */
  const pickPoint = async (index: number) => {
    const point = points[index];
    if (!point) return;
    setPickError(undefined);
    try {
      const found = await callUnaryMethod(transport, MonitorService.method.listResults, {
        monitorId: id,
        fromUnixMs: point.atUnixMs,
        toUnixMs: point.atUnixMs + BigInt(Math.max(stepMs, 60_000)),
        pageSize: 1,
      });
      if (found.results[0]) setPicked(found.results[0]);
    } catch (error) {
      setPickError(error);
    }
  };

  const onChanged = (monitor: Monitor) => {
    noteMonitorChanged(client, monitor);
    client.setQueryData(
      createConnectQueryKey({ schema: MonitorService.method.getMonitor, input: { id }, transport, cardinality: "finite" }),
      (old: GetMonitorResponse | undefined) => (old ? { ...old, monitor } : old),
    );
  };
  const onChecked = (result: CheckResult) => {
    addResult(result);
    setPicked(result);
  };

  if (deleted) {
    return (
      <Empty>
        This monitor was deleted. <Link href={paths.overview()} className="text-accent underline">Back to the monitors</Link>
      </Empty>
    );
  }
  if (monitorQ.error) return <ErrorNotice error={monitorQ.error} onRetry={() => void monitorQ.refetch()} />;
  const monitor = monitorQ.data?.monitor;
  if (!monitor) return <Loading label="Loading the monitor…" />;

  const total = summary ? phaseOf(summary.latency, "total") : undefined;
  const labels = Object.entries(monitor.labels);

  return (
    <div className="space-y-4">
      <div>
        <Link href={paths.overview()} className="mb-2 inline-flex items-center gap-1 text-sm text-muted hover:text-ink">
          <ArrowLeft aria-hidden="true" className="size-4" /> Monitors
        </Link>
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h1 className="flex flex-wrap items-center gap-x-3 text-xl font-semibold break-words">
              {monitor.name} <StateBadge state={monitor.state} className="text-base" />
            </h1>
            <a href={monitor.url} target="_blank" rel="noreferrer" className="inline-flex max-w-full items-center gap-1 text-sm break-all text-accent">
              {monitor.method || "GET"} {monitor.url} <ExternalLink aria-hidden="true" className="size-3.5 shrink-0" />
            </a>
            <p className="mt-1 text-xs text-muted">
              every {formatSpan(monitor.intervalSeconds || 60)} · timeout {monitor.timeoutMs || 10_000} ms
              {monitor.degradedAboveMs > 0 && ` · degraded above ${monitor.degradedAboveMs} ms`}
              {labels.length > 0 && " · "}
              {labels.map(([k, v]) => (
                <span key={k} className="mr-1 rounded bg-surface-2 px-1.5 py-0.5">
                  {k}={v}
                </span>
              ))}
            </p>
          </div>
          <MonitorActions monitor={monitor} onChecked={onChecked} onChanged={onChanged} />
        </div>
      </div>

      <Card aria-labelledby="waterfall-title">
        <CardTitle
          id="waterfall-title"
          right={
            picked && (
              <button type="button" className="text-sm text-accent underline" onClick={() => setPicked(undefined)}>
                Back to the latest check
              </button>
            )
          }
        >
          {picked ? "Waterfall of the chosen check" : "Waterfall of the latest check"}
        </CardTitle>
        {pickError !== undefined && <ErrorNotice error={pickError} className="mb-2" />}
        {resultsQ.error ? (
          <ErrorNotice error={resultsQ.error} onRetry={() => void resultsQ.refetch()} />
        ) : shown ? (
          <Waterfall result={shown} />
        ) : (
          <Empty>{resultsQ.isPending ? "Loading…" : "No check has run yet."}</Empty>
        )}
      </Card>

      <div className="flex flex-wrap items-center justify-between gap-2">
        <div role="group" aria-label="Window" className="inline-flex rounded-lg border border-line bg-surface p-0.5">
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              aria-pressed={w === windowSeconds}
              onClick={() => {
                setWindowSeconds(w);
                setSeriesTo(Date.now());
              }}
              className={cx("rounded-md px-3 py-1 text-sm font-medium", w === windowSeconds ? "bg-accent text-white dark:text-slate-950" : "text-muted hover:text-ink")}
            >
              {formatWindow(w)}
            </button>
          ))}
        </div>
        <div className="grid w-full grid-cols-3 gap-3 sm:w-auto sm:flex-1 sm:grid-cols-6 sm:pl-4">
          <Stat label={`Uptime ${formatWindow(windowSeconds)}`} value={formatPct(summary?.uptimePct)} />
          <Stat label="Checks" value={formatCount(summary?.checks)} hint={summary && summary.down > 0n ? `${summary.down} down` : undefined} />
          <Stat label="p50" value={formatUs(total?.p50Us)} />
          <Stat label="p95" value={formatUs(total?.p95Us)} />
          <Stat label="p99" value={formatUs(total?.p99Us)} />
          <Stat label="Fastest" value={formatUs(summary?.totalMinUs)} hint={`slowest ${formatUs(summary?.totalMaxUs)}`} />
        </div>
      </div>
      {summariesQ.error && <ErrorNotice error={summariesQ.error} onRetry={() => void summariesQ.refetch()} />}

      <div className="grid gap-4 lg:grid-cols-2">
        <Card aria-labelledby="latency-title">
          <CardTitle id="latency-title">Latency (total) · p50 / p95 / p99</CardTitle>
          {seriesQ.error ? (
            <ErrorNotice error={seriesQ.error} onRetry={() => void seriesQ.refetch()} />
          ) : latency.length === 0 ? (
            <Empty>No checks in this window yet.</Empty>
          ) : (
            <LatencyChart rows={latency} spanMs={windowSeconds * 1000} onPick={(i) => void pickPoint(i)} />
          )}
        </Card>
        <Card aria-labelledby="phases-title">
          <CardTitle id="phases-title">Phases over time · mean</CardTitle>
          {phases.length === 0 ? (
            <Empty>No checks in this window yet.</Empty>
          ) : (
            <PhaseChart rows={phases} spanMs={windowSeconds * 1000} onPick={(i) => void pickPoint(i)} />
          )}
        </Card>
      </div>
      <p className="-mt-2 text-xs text-muted">Click a point on either chart to see the waterfall of a check from that time.</p>

      <div className="grid gap-4 lg:grid-cols-[3fr_2fr]">
        <Card aria-labelledby="pct-title">
          <CardTitle id="pct-title">Per-phase percentiles · {formatWindow(windowSeconds)}</CardTitle>
          <PercentileTable summary={summary} />
        </Card>
        <Card aria-labelledby="tls-title">
          <CardTitle id="tls-title">TLS certificate</CardTitle>
          <TlsCard tls={latestTls(results.find((r) => latestTls(r)) ?? latest)} now={now} />
        </Card>
      </div>

      <div className="grid gap-4 lg:grid-cols-[2fr_3fr]">
        <Card aria-labelledby="incidents-title">
          <CardTitle id="incidents-title">Incidents</CardTitle>
          {incidentsQ.error ? (
            <ErrorNotice error={incidentsQ.error} onRetry={() => void incidentsQ.refetch()} />
          ) : (
            <IncidentTimeline incidents={incidentsQ.data?.incidents ?? []} now={now} />
          )}
        </Card>
        <Card aria-labelledby="results-title">
          <CardTitle id="results-title">Recent results · last {RESULTS_PAGE}</CardTitle>
          <div className="max-h-[32rem] overflow-y-auto">
            <ResultsTable results={results} selectedKey={shown ? resultKey(shown) : undefined} onSelect={setPicked} />
          </div>
        </Card>
      </div>
    </div>
  );
}
