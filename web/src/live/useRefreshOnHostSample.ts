// Host incidents have no live event of their own, but the sampler judges each sample on the
// host's rules before it publishes it: a host being sampled is the moment one of its
// conditions can start or stop firing. So screens listing host incidents read them again
// after a sample, at most every REFRESH_MS (as the monitor screen does with its rollups).
// Silence is judged by the notifier, without a sample: a list of every host's incidents
// picks it up at the next sample of another host (or a reconnect or resync, which refetch
// everything); a host's own card reads its list on a timer while the host is stale.
import { useEffect, useRef } from "react";
import { useLiveEvents } from "./LiveProvider";

const REFRESH_MS = 10_000;

/** Calls `refresh` after `host` (every host when omitted) is sampled, at most every REFRESH_MS. */
export function useRefreshOnHostSample(refresh: () => void, host?: string): void {
  // The list was just fetched as the screen mounted: the first sample need not refetch it.
  const lastRefresh = useRef(Date.now());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(refresh);
  latest.current = refresh;

  useEffect(
    () => () => {
      clearTimeout(timer.current);
      timer.current = undefined;
    },
    [],
  );

  useLiveEvents((batch) => {
    if (timer.current) return;
    const sampled = batch.some((e) => e.kind.case === "hostSampled" && (host === undefined || e.kind.value.hostId === host));
    if (!sampled) return;
    const wait = Math.max(0, lastRefresh.current + REFRESH_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      lastRefresh.current = Date.now();
      latest.current();
    }, wait);
  });
}
