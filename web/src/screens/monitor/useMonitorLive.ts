// Keeps the detail screen current from live events: a finished check joins the results at
// once; summaries and series (rollups, folded in the background) are refetched at most
// every REFRESH_MS; a state change refetches the monitor and its incidents.
import { useRef } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { createConnectQueryKey, useTransport } from "@connectrpc/connect-query";
import { AlertService, MonitorService, type ListResultsResponse } from "../../gen/pulsar/v1/api_pb";
import type { CheckResult } from "../../gen/pulsar/v1/check_pb";
import { useLiveEvents } from "../../live/LiveProvider";
import { RESULTS_PAGE, withNewResult } from "./results";

const REFRESH_MS = 15_000;

export function resultsInput(monitorId: string) {
  return { monitorId, pageSize: RESULTS_PAGE };
}

export function useMonitorLive(monitorId: string, onRollupsStale: () => void, onDeleted: () => void) {
  const client = useQueryClient();
  const transport = useTransport();
  const lastRefresh = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const addResult = (result: CheckResult) => {
    const key = createConnectQueryKey({
      schema: MonitorService.method.listResults,
      input: resultsInput(monitorId),
      transport,
      cardinality: "finite",
    });
    client.setQueryData(key, (old: ListResultsResponse | undefined) =>
      old ? { ...old, results: withNewResult(old.results, result) } : old,
    );
  };

  const refreshRollupsSoon = () => {
    if (timer.current) return;
    const wait = Math.max(0, lastRefresh.current + REFRESH_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      lastRefresh.current = Date.now();
      onRollupsStale();
    }, wait);
  };

  useLiveEvents((batch) => {
    for (const event of batch) {
      const kind = event.kind;
      if (kind.case === "checkCompleted" && kind.value.result?.monitorId === monitorId) {
        addResult(kind.value.result);
        if (!kind.value.result.manual) refreshRollupsSoon();
      } else if (kind.case === "monitorStateChanged" && kind.value.monitorId === monitorId) {
        void client.invalidateQueries({ queryKey: createConnectQueryKey({ schema: MonitorService.method.getMonitor, input: { id: monitorId }, transport, cardinality: "finite" }) });
        void client.invalidateQueries({ queryKey: createConnectQueryKey({ schema: AlertService.method.listIncidents, transport, cardinality: undefined }) });
      } else if (kind.case === "monitorChanged" && kind.value.monitor?.id === monitorId) {
        if (kind.value.deleted) onDeleted();
        else
          client.setQueryData(
            createConnectQueryKey({ schema: MonitorService.method.getMonitor, input: { id: monitorId }, transport, cardinality: "finite" }),
            (old) => (old ? { ...old, monitor: kind.value.monitor } : old),
          );
      }
    }
  });

  return { addResult };
}
