// Whether what the page shows is live: green when the WebSocket is open, amber while it
// reconnects (with the countdown and a "retry now"), announced politely to screen readers.
import { useEffect, useState } from "react";
import { Radio, RefreshCw, WifiOff } from "lucide-react";
import { useLiveStatus, useRetryLive } from "../live/LiveProvider";
import { cx } from "./ui";

export function ConnectionIndicator() {
  const status = useLiveStatus();
  const retry = useRetryLive();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status.kind !== "waiting") return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [status.kind]);

  let text: string;
  let tone: string;
  let Icon = Radio;
  if (status.kind === "live") {
    text = "Live";
    tone = "text-up";
  } else if (status.kind === "connecting") {
    text = status.attempt > 1 ? "Reconnecting…" : "Connecting…";
    tone = "text-degraded";
    Icon = RefreshCw;
  } else {
    const seconds = Math.max(0, Math.ceil((status.retryAt - now) / 1000));
    text = `Offline, retry in ${seconds}s`;
    tone = "text-down";
    Icon = WifiOff;
  }
  return (
    <div className="flex items-center gap-1 text-sm" data-testid="connection" data-state={status.kind}>
      <span role="status" aria-live="polite" className={cx("inline-flex items-center gap-1 font-medium", tone)}>
        <Icon aria-hidden="true" className={cx("size-4", status.kind === "connecting" && "animate-spin")} />
        <span title={status.kind === "waiting" ? status.reason : undefined}>{text}</span>
      </span>
      {status.kind === "waiting" && (
        <button type="button" onClick={retry} className="rounded px-1 text-xs text-accent underline">
          retry now
        </button>
      )}
    </div>
  );
}
