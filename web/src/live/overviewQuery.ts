// The overview's server state: every page of GetOverview, folded into one OverviewState,
// cached under one key that live events then patch in place (see LiveProvider).
import { callUnaryMethod } from "@connectrpc/connect-query";
import type { Transport } from "@connectrpc/connect";
import type { QueryClient } from "@tanstack/react-query";
import { MonitorService, type GetOverviewResponse } from "../gen/pulsar/v1/api_pb";
import { create } from "@bufbuild/protobuf";
import { applyEvents, mentionsUnknownMonitor, stateFromPages, type OverviewState } from "./overview";
import { EventSchema, type Event } from "../gen/pulsar/v1/events_pb";
import type { Monitor } from "../gen/pulsar/v1/monitor_pb";

export const OVERVIEW_KEY = ["pulsar", "overview"] as const;

/** The largest page the server hands out. */
const PAGE_SIZE = 1000;

export function overviewQuery(transport: Transport) {
  return {
    queryKey: OVERVIEW_KEY,
    queryFn: async ({ signal }: { signal: AbortSignal }): Promise<OverviewState> => {
      const pages: GetOverviewResponse[] = [];
      let pageToken = "";
      do {
        const page = await callUnaryMethod(transport, MonitorService.method.getOverview, { pageSize: PAGE_SIZE, pageToken }, { signal });
        pages.push(page);
        pageToken = page.nextPageToken;
      } while (pageToken);
      return stateFromPages(pages);
    },
    // Live events keep it current; it is refetched only on a resync.
    staleTime: Number.POSITIVE_INFINITY,
  };
}

/** Applies live events; answers whether they name a monitor the overview does not list. */
export function applyToOverview(client: QueryClient, events: Event[]): boolean {
  const state = client.getQueryData<OverviewState>(OVERVIEW_KEY);
  if (!state) return false;
  client.setQueryData<OverviewState>(OVERVIEW_KEY, applyEvents(state, events));
  return mentionsUnknownMonitor(state, events);
}

/**
 * This tab's own change to a monitor, applied at once: it does not wait for (or depend on)
 * the server announcing it over the WebSocket.
 */
export function noteMonitorChanged(client: QueryClient, monitor: Monitor, deleted = false): void {
  applyToOverview(client, [create(EventSchema, { kind: { case: "monitorChanged", value: { monitor, deleted } } })]);
}
