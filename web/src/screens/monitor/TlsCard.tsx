// The certificate the latest https check saw: who issued it, when it expires, days left.
import { ShieldAlert, ShieldCheck } from "lucide-react";
import type { CheckResult, TlsInfo } from "../../gen/pulsar/v1/check_pb";
import { Empty, cx } from "../../components/ui";
import { daysLeft, formatDateTime } from "../../lib/format";

/** Under this many days the expiry is a warning. */
const WARN_DAYS = 14;

export function latestTls(result: CheckResult | undefined): TlsInfo | undefined {
  if (!result) return undefined;
  return result.tls ?? [...result.hops].reverse().find((h) => h.tls)?.tls;
}

export function TlsCard({ tls, now }: { tls: TlsInfo | undefined; now: number }) {
  if (!tls) return <Empty>No TLS on the latest check (http://, or the handshake did not finish).</Empty>;
  const days = daysLeft(tls.notAfterUnixMs, now);
  const tone = days < 0 ? "text-down" : days < WARN_DAYS ? "text-degraded" : "text-up";
  const Icon = days < WARN_DAYS ? ShieldAlert : ShieldCheck;
  const rows: [string, string][] = [
    ["Subject", tls.subject],
    ["Issuer", tls.issuer],
    ["Valid from", formatDateTime(tls.notBeforeUnixMs)],
    ["Expires", formatDateTime(tls.notAfterUnixMs)],
    ["Protocol", [tls.version, tls.cipher, tls.alpn].filter(Boolean).join(" · ")],
    ["Names", tls.sans.join(", ")],
  ];
  return (
    <div className="text-sm">
      <p className={cx("mb-2 flex items-center gap-1.5 text-lg font-semibold", tone)} data-testid="tls-days">
        <Icon aria-hidden="true" className="size-5" />
        {days < 0 ? `Expired ${-days} days ago` : `${days} days left`}
      </p>
      <dl className="grid grid-cols-[6rem_minmax(0,1fr)] gap-x-3 gap-y-1">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-muted">{k}</dt>
            <dd className="break-words">{v || "—"}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
