// Host alerts across hosts, newest first: which condition fired on which host, what the
// sample showed, when, and whether it still fires or how long it lasted.
import { useState } from "react";
import { useInfiniteQuery } from "@connectrpc/connect-query";
import { Server, TriangleAlert } from "lucide-react";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { HostIncident } from "../../gen/pulsar/v1/incident_pb";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { ToneBadge } from "../../components/StateBadge";
import { Button, Card, CardTitle, Empty } from "../../components/ui";
import { formatAgo, formatDateTime, formatSpan } from "../../lib/format";
import { conditionLabel, firedSeconds, isFiring } from "../../lib/hostIncidents";
import { useRefreshOnHostSample } from "../../live/useRefreshOnHostSample";

const PAGE_SIZE = 50;

export function HostIncidentsCard({ now }: { now: number }) {
  const [firingOnly, setFiringOnly] = useState(false);
  const q = useInfiniteQuery(
    AlertService.method.listHostIncidents,
    { openOnly: firingOnly, pageSize: PAGE_SIZE, pageToken: "" },
    { pageParamKey: "pageToken", getNextPageParam: (last) => last.nextPageToken || undefined },
  );
  useRefreshOnHostSample(() => void q.refetch());
  const incidents = q.data?.pages.flatMap((p) => p.incidents) ?? [];
  return (
    <Card aria-labelledby="host-incidents-title" data-testid="host-incidents-card">
      <CardTitle
        id="host-incidents-title"
        right={
          <label className="flex items-center gap-1.5 text-sm">
            <input type="checkbox" checked={firingOnly} onChange={(e) => setFiringOnly(e.target.checked)} className="size-4" /> Firing only
          </label>
        }
      >
        Host incidents
      </CardTitle>
      {q.error && <ErrorNotice error={q.error} onRetry={() => void q.refetch()} />}
      {q.isPending ? (
        <Loading />
      ) : incidents.length === 0 ? (
        !q.error && <Empty>{firingOnly ? "No host alert is firing." : "No host alert has fired yet."}</Empty>
      ) : (
        <>
          <ul className="divide-y divide-line text-sm">
            {incidents.map((i) => (
              <HostIncidentItem key={String(i.id)} incident={i} now={now} />
            ))}
          </ul>
          {q.hasNextPage && (
            <div className="mt-2 flex justify-center">
              <Button onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                {q.isFetchingNextPage ? "Loading…" : "Load more"}
              </Button>
            </div>
          )}
        </>
      )}
    </Card>
  );
}

function HostIncidentItem({ incident: i, now }: { incident: HostIncident; now: number }) {
  const firing = isFiring(i);
  const span = formatSpan(firedSeconds(i, now));
  return (
    <li className="py-2" data-testid="host-incident" data-condition={i.condition} data-firing={firing}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        {firing ? <FiringBadge /> : <ToneBadge tone="up" label="Resolved" />}
        <span className="font-medium">{conditionLabel(i.condition)}</span>
        <span className="inline-flex min-w-0 items-center gap-1 break-all text-muted">
          <Server aria-hidden="true" className="size-3.5 shrink-0" /> {i.host}
        </span>
        <time
          dateTime={new Date(Number(i.openedAtUnixMs)).toISOString()}
          title={formatDateTime(i.openedAtUnixMs)}
          className="text-muted tabular-nums"
        >
          opened {formatAgo(i.openedAtUnixMs, now)}
        </time>
        <span className="text-xs text-muted">{firing ? `for ${span}` : `lasted ${span}`}</span>
      </div>
      {i.detail && <p className="break-words text-muted">{i.detail}</p>}
    </li>
  );
}

/** Amber like a host alert in the delivery log, filled so a firing row stands out. */
function FiringBadge() {
  return (
    <span className="inline-flex items-center gap-1 rounded-full bg-degraded/15 px-2 py-0.5 text-xs font-semibold whitespace-nowrap text-degraded">
      <TriangleAlert aria-hidden="true" className="size-3.5 shrink-0" />
      Firing
    </span>
  );
}
