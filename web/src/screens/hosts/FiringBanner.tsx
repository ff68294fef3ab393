// What fires on one host right now (its open host incidents), at the top of its card so it
// is seen before the figures; nothing at all while nothing fires.
import { useQuery } from "@connectrpc/connect-query";
import { TriangleAlert } from "lucide-react";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import { ErrorNotice } from "../../components/ErrorNotice";
import { formatDateTime, formatSpan } from "../../lib/format";
import { conditionLabel, firedSeconds } from "../../lib/hostIncidents";
import { useRefreshOnHostSample } from "../../live/useRefreshOnHostSample";

// A host has a handful of rules and two per mount: one page holds every open one.
const PAGE_SIZE = 100;
// A host that stopped reporting sends no sample to refresh on, yet that is when the
// notifier calls it silent: only then is the list read on a timer.
const STALE_REFRESH_MS = 15_000;

export function FiringBanner({ host, now, stale }: { host: string; now: number; stale: boolean }) {
  const q = useQuery(
    AlertService.method.listHostIncidents,
    { host, openOnly: true, pageSize: PAGE_SIZE },
    { refetchInterval: stale ? STALE_REFRESH_MS : false },
  );
  useRefreshOnHostSample(() => void q.refetch(), host);
  if (q.error) return <ErrorNotice error={q.error} onRetry={() => void q.refetch()} className="mb-4" />;
  const incidents = q.data?.incidents ?? [];
  if (incidents.length === 0) return null;
  const titleId = `host-firing-${host}`;
  return (
    <section aria-labelledby={titleId} data-testid="host-firing" className="mb-4 rounded-lg border border-degraded/50 bg-degraded/10 p-3 text-sm">
      <h3 id={titleId} className="flex items-center gap-1.5 font-semibold text-degraded">
        <TriangleAlert aria-hidden="true" className="size-4 shrink-0" />
        {incidents.length === 1 ? "1 host alert firing" : `${incidents.length} host alerts firing`}
      </h3>
      <ul className="mt-1.5 space-y-1">
        {incidents.map((i) => (
          <li key={String(i.id)} data-condition={i.condition} className="flex flex-wrap items-baseline gap-x-2">
            <span className="font-medium">{conditionLabel(i.condition)}</span>
            {i.detail && <span className="min-w-0 break-words text-muted">{i.detail}</span>}
            <time dateTime={new Date(Number(i.openedAtUnixMs)).toISOString()} className="text-xs text-muted tabular-nums">
              since {formatDateTime(i.openedAtUnixMs)} · {formatSpan(firedSeconds(i, now))}
            </time>
          </li>
        ))}
      </ul>
    </section>
  );
}
