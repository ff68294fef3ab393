// Owns the one WebSocket of the page: its status for the indicator, batched events for the
// screens that listen, the overview cache kept current, and a refetch of everything after
// a reconnect or a hub resync.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { Event } from "../gen/pulsar/v1/events_pb";
import { tokenStore } from "../api/token";
import { FrameBatcher } from "./batcher";
import { LiveSocket, socketUrl, type LiveStatus } from "./socket";
import { OVERVIEW_KEY, applyToOverview } from "./overviewQuery";

type Listener = (batch: readonly Event[]) => void;

interface LiveContextValue {
  status: LiveStatus;
  subscribe(listener: Listener): () => void;
  retryNow(): void;
}

const LiveContext = createContext<LiveContextValue | null>(null);

/**
 * State changes move incidents and uptime too, and a check of a monitor the overview does
 * not list means one was created elsewhere: refetch the overview then, at most this often.
 */
const OVERVIEW_REFRESH_MS = 5_000;

export function LiveProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>({ kind: "connecting", attempt: 1 });
  const listeners = useRef(new Set<Listener>());
  const socketRef = useRef<LiveSocket | null>(null);

  useEffect(() => {
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    const refreshOverviewSoon = () => {
      refreshTimer ??= setTimeout(() => {
        refreshTimer = undefined;
        void queryClient.invalidateQueries({ queryKey: OVERVIEW_KEY });
      }, OVERVIEW_REFRESH_MS);
    };

    const batcher = new FrameBatcher<Event>((batch) => {
      const unknown = applyToOverview(queryClient, batch);
      if (unknown || batch.some((e) => e.kind.case === "monitorStateChanged")) refreshOverviewSoon();
      for (const listener of listeners.current) listener(batch);
    });
    const socket = new LiveSocket(() => socketUrl(globalThis.location, tokenStore.get()), {
      onEvent: (event) => batcher.push(event),
      onResync: () => {
        batcher.flush();
        void queryClient.invalidateQueries();
      },
      onStatus: (next) => {
        setStatus(next);
        // Whatever failed while the server was out of reach is worth another try now.
        if (next.kind === "live") void queryClient.refetchQueries({ predicate: (q) => q.state.status === "error" });
      },
    });
    socketRef.current = socket;
    socket.start();

    // Coming back online or to the tab is a good moment to skip the rest of the backoff.
    const wake = () => {
      if (document.visibilityState === "visible") socket.retryNow();
    };
    globalThis.addEventListener("online", wake);
    document.addEventListener("visibilitychange", wake);
    return () => {
      globalThis.removeEventListener("online", wake);
      document.removeEventListener("visibilitychange", wake);
      clearTimeout(refreshTimer);
      socket.stop();
      batcher.dispose();
      socketRef.current = null;
    };
  }, [queryClient]);

  // Stable, so listeners do not resubscribe whenever the status changes.
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const retryNow = useCallback(() => socketRef.current?.retryNow(), []);
  const value = useMemo<LiveContextValue>(() => ({ status, subscribe, retryNow }), [status, subscribe, retryNow]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

function useLive(): LiveContextValue {
  const value = useContext(LiveContext);
  if (!value) throw new Error("useLive outside LiveProvider");
  return value;
}

export function useLiveStatus(): LiveStatus {
  return useLive().status;
}

export function useRetryLive(): () => void {
  return useLive().retryNow;
}

/** Calls `onBatch` with each frame's events; the latest `onBatch` is used without resubscribing. */
export function useLiveEvents(onBatch: Listener): void {
  const { subscribe } = useLive();
  const latest = useRef(onBatch);
  latest.current = onBatch;
  useEffect(() => subscribe((batch) => latest.current(batch)), [subscribe]);
}
