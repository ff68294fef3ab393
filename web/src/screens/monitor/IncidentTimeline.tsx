// When the monitor was not up: newest first, with how long each lasted, why it opened and
// how it ended.
import type { Incident } from "../../gen/pulsar/v1/incident_pb";
import { StateBadge, stateTone, TONE_BG } from "../../components/StateBadge";
import { Empty, cx } from "../../components/ui";
import { formatDateTime, formatSpan } from "../../lib/format";

export function IncidentTimeline({ incidents, now }: { incidents: Incident[]; now: number }) {
  if (incidents.length === 0) return <Empty>No incidents. It has been up whenever it was checked.</Empty>;
  return (
    <ol className="relative space-y-3 border-l border-line pl-4">
      {incidents.map((incident) => {
        const open = incident.closedAtUnixMs === 0n;
        const end = open ? now : Number(incident.closedAtUnixMs);
        return (
          <li key={String(incident.id)} className="relative text-sm">
            <span
              aria-hidden="true"
              className={cx("absolute top-1.5 -left-[1.36rem] size-2.5 rounded-full ring-2 ring-surface", TONE_BG[stateTone(incident.state)])}
            />
            <div className="flex flex-wrap items-center gap-x-3">
              <StateBadge state={incident.state} />
              <span className="tabular-nums">{formatDateTime(incident.openedAtUnixMs)}</span>
              <span className="text-muted">
                {open ? "ongoing for " : "lasted "}
                {formatSpan((end - Number(incident.openedAtUnixMs)) / 1000)}
              </span>
              {open ? (
                <span className="rounded bg-down/15 px-1.5 text-xs font-semibold text-down">open</span>
              ) : (
                <span className="text-xs text-muted">{incident.resolution || "closed"}</span>
              )}
            </div>
            {incident.cause && <p className="mt-0.5 break-words text-muted">{incident.cause}</p>}
          </li>
        );
      })}
    </ol>
  );
}
