// The first screen: every monitor with its state, latency, uptime and recent checks, kept
// live by WebSocket events (no polling), filterable by state, label and text.
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTransport } from "@connectrpc/connect-query";
import { Plus, Search, Tag } from "lucide-react";
import { Link } from "../../app/router";
import { paths } from "../../app/routes";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import type { Tone } from "../../components/StateBadge";
import { Empty, PageHeader } from "../../components/ui";
import { countStates, filterRows, labelsInUse, type OverviewFilter } from "../../live/overview";
import { overviewQuery } from "../../live/overviewQuery";
import { filterFromSearch, searchFromFilter } from "./filterParams";
import { MonitorList } from "./MonitorList";
import { StateCountsBar } from "./StateCountsBar";

export function OverviewScreen() {
  const transport = useTransport();
  const query = useQuery(overviewQuery(transport));
  const [filter, setFilterState] = useState<OverviewFilter>(() => filterFromSearch(location.search));
  const setFilter = (next: OverviewFilter) => {
    setFilterState(next);
    history.replaceState(null, "", `${location.pathname}${searchFromFilter(next)}`);
  };

  const rows = query.data?.rows;
  const counts = useMemo(() => countStates(rows ?? []), [rows]);
  const shown = useMemo(() => filterRows(rows ?? [], filter), [rows, filter]);
  const labels = useMemo(() => labelsInUse(rows ?? []), [rows]);

  const toggle = (tone: Tone) => {
    const states = new Set(filter.states);
    if (states.has(tone)) states.delete(tone);
    else states.add(tone);
    setFilter({ ...filter, states });
  };

  return (
    <>
      <PageHeader title="Monitors">
        <Link
          href={paths.newMonitor()}
          className="inline-flex min-h-9 items-center gap-1.5 rounded-lg bg-accent px-3 py-1.5 text-sm font-medium text-white dark:text-slate-950"
        >
          <Plus aria-hidden="true" className="size-4" /> New monitor
        </Link>
      </PageHeader>
      {query.error && <ErrorNotice error={query.error} onRetry={() => void query.refetch()} className="mb-3" />}
      {rows === undefined ? (
        !query.error && <Loading label="Loading monitors…" />
      ) : (
        <>
          <StateCountsBar
            counts={counts}
            total={rows.length}
            openIncidents={query.data?.openIncidents ?? 0}
            selected={filter.states}
            onToggle={toggle}
            onClear={() => setFilter({ ...filter, states: new Set() })}
          />
          <div className="mb-3 flex flex-col gap-2 sm:flex-row">
            <label className="relative flex-[2]">
              <span className="sr-only">Search by name or URL</span>
              <Search aria-hidden="true" className="pointer-events-none absolute top-2.5 left-3 size-4 text-muted" />
              <input
                type="search"
                placeholder="Search name or URL"
                value={filter.text}
                onChange={(e) => setFilter({ ...filter, text: e.target.value })}
                className="w-full rounded-lg border border-line bg-surface py-2 pr-3 pl-9 text-sm"
              />
            </label>
            <label className="relative flex-1">
              <span className="sr-only">Filter by label (key or key=value)</span>
              <Tag aria-hidden="true" className="pointer-events-none absolute top-2.5 left-3 size-4 text-muted" />
              <input
                list="overview-labels"
                placeholder="Label, e.g. env=prod"
                value={filter.label}
                onChange={(e) => setFilter({ ...filter, label: e.target.value })}
                className="w-full rounded-lg border border-line bg-surface py-2 pr-3 pl-9 text-sm"
              />
              <datalist id="overview-labels">
                {labels.map((l) => (
                  <option key={l} value={l} />
                ))}
              </datalist>
            </label>
          </div>
          {rows.length === 0 ? (
            <Empty>
              No monitors yet.{" "}
              <Link href={paths.newMonitor()} className="text-accent underline">
                Create the first one
              </Link>
              .
            </Empty>
          ) : shown.length === 0 ? (
            <Empty>No monitor matches these filters.</Empty>
          ) : (
            <>
              <p className="sr-only" aria-live="polite">
                {shown.length} of {rows.length} monitors shown
              </p>
              <MonitorList rows={shown} />
            </>
          )}
        </>
      )}
    </>
  );
}
