// Where one check's time went: a bar per phase, per hop, placed where it happened, with its
// milliseconds. The numbers are also listed as text under each bar (screen readers, and
// phases too short to label inside their bar).
import { Outcome, type CheckResult } from "../../gen/pulsar/v1/check_pb";
import { MaintenanceMark } from "../../components/MaintenanceMark";
import { OutcomeBadge } from "../../components/StateBadge";
import { cx } from "../../components/ui";
import { formatDateTime, formatUs, formatMs } from "../../lib/format";
import { failureText } from "./failure";
import { PHASE_LABELS, layoutWaterfall, phaseUs, type Phase } from "../../lib/waterfall";

export const PHASE_BG: Record<Phase, string> = {
  dns: "bg-dns",
  connect: "bg-connect",
  tls: "bg-tls",
  ttfb: "bg-ttfb",
  download: "bg-download",
};

/** A delay above this (µs) may have inflated the phases noticeably (check.proto). */
const SCHEDULING_NOTE_US = 1000n;

/** Wide enough (in % of the chart) to print the milliseconds inside the bar. */
const LABEL_INSIDE_PCT = 11;

export function Waterfall({ result }: { result: CheckResult }) {
  const layout = layoutWaterfall(result);
  return (
    <div data-testid="waterfall">
      <div className="mb-3 flex flex-wrap items-center gap-x-4 gap-y-1 text-sm">
        <OutcomeBadge outcome={result.outcome} />
        <span className="tabular-nums">{formatDateTime(result.startedAtUnixMs)}</span>
        {result.statusCode > 0 && <span>HTTP {result.statusCode}</span>}
        {result.httpVersion && <span className="text-muted">{result.httpVersion}</span>}
        {result.remoteAddr && <span className="text-muted">{result.remoteAddr}</span>}
        <span className="font-semibold tabular-nums">total {formatUs(result.phases?.totalUs)}</span>
        {result.manual && <span className="rounded bg-surface-2 px-1.5 text-xs">manual</span>}
        {result.maintenance && <MaintenanceMark />}
        {result.worker && <span className="text-xs text-muted">by {result.worker}{result.region && ` (${result.region})`}</span>}
      </div>
      {result.schedulingDelayUs > SCHEDULING_NOTE_US && (
        <p className="mb-3 text-xs text-degraded">
          The worker was busy during this check (scheduling delay up to {formatUs(result.schedulingDelayUs)}): its phases may read
          longer by about that much.
        </p>
      )}
      {result.outcome !== Outcome.UP && result.message && (
        <p className="mb-3 rounded-lg bg-surface-2 px-3 py-2 text-sm">
          <span className="font-medium">{failureText(result.failureKind)}</span> {result.message}
        </p>
      )}
      <div className="relative ml-0 space-y-4">
        {layout.hops.map((hop) => (
          <div key={hop.index}>
            <div className="mb-1 flex min-w-0 items-baseline gap-2 text-xs">
              {layout.hops.length > 1 && <span className="font-semibold">Hop {hop.index + 1}</span>}
              {hop.statusCode > 0 && (
                <span className={cx("font-medium", hop.statusCode >= 400 ? "text-down" : hop.statusCode >= 300 ? "text-accent" : "text-up")}>
                  {hop.statusCode}
                </span>
              )}
              <span className="min-w-0 truncate text-muted" title={hop.url}>
                {hop.url}
              </span>
            </div>
            <div className="relative h-7 rounded bg-surface-2" aria-hidden="true">
              {layout.ticksUs.map((t) => (
                <div key={t} className="absolute top-0 h-full border-l border-line" style={{ left: `${(t / layout.scaleUs) * 100}%` }} />
              ))}
              {hop.segments.map((s) => (
                <div
                  key={s.phase}
                  title={`${PHASE_LABELS[s.phase]} ${formatMs(s.durationUs / 1000)}`}
                  className={cx("absolute top-1 flex h-5 items-center justify-center overflow-hidden rounded-sm text-[11px] font-semibold text-white", PHASE_BG[s.phase])}
                  style={{ left: `${s.leftPct}%`, width: `${s.widthPct}%` }}
                >
                  {s.widthPct >= LABEL_INSIDE_PCT && <span className="px-1 whitespace-nowrap drop-shadow">{formatMs(s.durationUs / 1000)}</span>}
                </div>
              ))}
            </div>
            <ul className="mt-1 flex flex-wrap gap-x-3 gap-y-0.5 text-xs tabular-nums" aria-label={`Phases of hop ${hop.index + 1}`}>
              {hop.segments.map((s) => (
                <li key={s.phase} className="inline-flex items-center gap-1">
                  <span aria-hidden="true" className={cx("inline-block size-2.5 rounded-sm", PHASE_BG[s.phase])} />
                  {PHASE_LABELS[s.phase]} <span className="font-medium">{formatMs(s.durationUs / 1000)}</span>
                </li>
              ))}
              {hop.segments.length === 0 && <li className="text-muted">No phase completed.</li>}
            </ul>
          </div>
        ))}
        <div className="relative h-4 text-[10px] text-muted" aria-hidden="true">
          {layout.ticksUs.map((t) => {
            const at = (t / layout.scaleUs) * 100;
            // Labels at the edges hang inwards so none is cut off or wrapped.
            const shift = at === 0 ? "" : at > 92 ? "-translate-x-full" : "-translate-x-1/2";
            return (
              <span key={t} className={cx("absolute whitespace-nowrap tabular-nums", shift)} style={{ left: `${at}%` }}>
                {formatMs(t / 1000)}
              </span>
            );
          })}
        </div>
      </div>
      {layout.hops.length > 1 && (
        <p className="mt-2 text-xs text-muted">
          Summed over {layout.hops.length} hops:{" "}
          {(["dns", "connect", "tls", "ttfb", "download"] as const)
            .map((p) => [p, phaseUs(result.phases, p)] as const)
            .filter(([, v]) => v !== undefined)
            .map(([p, v]) => `${PHASE_LABELS[p]} ${formatMs((v ?? 0) / 1000)}`)
            .join(" · ")}
        </p>
      )}
    </div>
  );
}
