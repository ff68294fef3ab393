// Incidents across monitors and the delivery log: what happened and who was told.
import { useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import { Link } from "../../app/router";
import { paths } from "../../app/routes";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { StateBadge, ToneBadge } from "../../components/StateBadge";
import { Card, CardTitle, Empty, cx } from "../../components/ui";
import { EVENT_TONES, eventLabel } from "../../lib/events";
import { formatDateTime, formatSpan, formatUs } from "../../lib/format";

export function IncidentsCard({ names, now }: { names: Map<string, string>; now: number }) {
  const [openOnly, setOpenOnly] = useState(false);
  const q = useQuery(AlertService.method.listIncidents, { openOnly, pageSize: 100 });
  const incidents = q.data?.incidents ?? [];
  return (
    <Card aria-labelledby="incidents-title">
      <CardTitle
        id="incidents-title"
        right={
          <label className="flex items-center gap-1.5 text-sm">
            <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.target.checked)} className="size-4" /> Open only
          </label>
        }
      >
        Incidents
      </CardTitle>
      {q.error && <ErrorNotice error={q.error} onRetry={() => void q.refetch()} />}
      {q.isPending ? (
        <Loading />
      ) : incidents.length === 0 ? (
        !q.error && <Empty>{openOnly ? "Nothing is open." : "No incidents yet."}</Empty>
      ) : (
        <ul className="divide-y divide-line text-sm">
          {incidents.map((i) => {
            const open = i.closedAtUnixMs === 0n;
            const end = open ? now : Number(i.closedAtUnixMs);
            return (
              <li key={String(i.id)} className="py-2">
                <div className="flex flex-wrap items-center gap-x-3">
                  <StateBadge state={i.state} />
                  <Link href={paths.monitor(i.monitorId)} className="font-medium text-accent hover:underline">
                    {names.get(i.monitorId) ?? i.monitorId}
                  </Link>
                  <span className="text-muted tabular-nums">{formatDateTime(i.openedAtUnixMs)}</span>
                  <span className={cx("text-xs", open ? "font-semibold text-down" : "text-muted")}>
                    {open ? `open for ${formatSpan((end - Number(i.openedAtUnixMs)) / 1000)}` : `${formatSpan((end - Number(i.openedAtUnixMs)) / 1000)} · ${i.resolution || "closed"}`}
                  </span>
                </div>
                {i.cause && <p className="break-words text-muted">{i.cause}</p>}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

export function DeliveriesCard({ names, channels }: { names: Map<string, string>; channels: Map<bigint, string> }) {
  const q = useQuery(AlertService.method.listDeliveries, { pageSize: 100 });
  const deliveries = q.data?.deliveries ?? [];
  return (
    <Card aria-labelledby="deliveries-title">
      <CardTitle id="deliveries-title">Deliveries</CardTitle>
      {q.error && <ErrorNotice error={q.error} onRetry={() => void q.refetch()} />}
      {q.isPending ? (
        <Loading />
      ) : deliveries.length === 0 ? (
        !q.error && <Empty>No notification sent yet.</Empty>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead>
              <tr className="border-b border-line text-left text-xs text-muted uppercase">
                <th scope="col" className="py-1.5 pr-2 font-semibold">When</th>
                <th scope="col" className="px-2 font-semibold">Channel</th>
                <th scope="col" className="px-2 font-semibold">Event</th>
                <th scope="col" className="px-2 font-semibold">Monitor</th>
                <th scope="col" className="px-2 font-semibold">Result</th>
                <th scope="col" className="pl-2 font-semibold">Detail</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={String(d.id)} className="border-b border-line last:border-0">
                  <td className="py-1.5 pr-2 whitespace-nowrap tabular-nums">{formatDateTime(d.attemptedAtUnixMs)}</td>
                  <td className="px-2">{channels.get(d.channelId) ?? String(d.channelId)}</td>
                  <td className="px-2 whitespace-nowrap" data-event={d.event}>
                    <EventLabel event={d.event} />
                  </td>
                  <td className="px-2">{d.monitorId ? (names.get(d.monitorId) ?? d.monitorId) : "—"}</td>
                  <td className={cx("px-2 whitespace-nowrap", d.success ? "text-up" : "text-down")}>
                    {d.success ? "delivered" : "failed"} · try {d.attempt} · {formatUs(d.latencyUs)}
                  </td>
                  <td className="max-w-[20rem] truncate pl-2 text-muted" title={d.detail}>
                    {d.detail}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

/** An event in words, with its state's icon and colour where it has one. */
function EventLabel({ event }: { event: string }) {
  const tone = EVENT_TONES[event];
  return tone ? <ToneBadge tone={tone} label={eventLabel(event)} /> : <span>{eventLabel(event)}</span>;
}
