// Every host that reports, one card each; every worker reports its own.
import { useQueryClient } from "@tanstack/react-query";
import { createConnectQueryKey, useQuery, useTransport } from "@connectrpc/connect-query";
import { HostService, type ListHostsResponse } from "../../gen/pulsar/v1/api_pb";
import { useNow } from "../../app/useNow";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Empty, PageHeader } from "../../components/ui";
import { useLiveEvents } from "../../live/LiveProvider";
import { HostCard } from "./HostCard";

export default function HostsScreen() {
  const transport = useTransport();
  const client = useQueryClient();
  const now = useNow(5000);
  const hostsQ = useQuery(HostService.method.listHosts, {});
  const key = createConnectQueryKey({ schema: HostService.method.listHosts, input: {}, transport, cardinality: "finite" });

  useLiveEvents((batch) => {
    const seen = new Map<string, bigint>();
    for (const e of batch) {
      if (e.kind.case === "hostSampled" && e.kind.value.snapshot) seen.set(e.kind.value.hostId, e.kind.value.snapshot.takenAtUnixMs);
    }
    if (seen.size === 0) return;
    const known = new Set(hostsQ.data?.hosts.map((h) => h.host));
    if ([...seen.keys()].some((h) => !known.has(h))) {
      void client.invalidateQueries({ queryKey: key });
      return;
    }
    client.setQueryData(key, (old: ListHostsResponse | undefined) =>
      old
        ? { ...old, hosts: old.hosts.map((h) => (seen.has(h.host) ? { ...h, lastSeenUnixMs: seen.get(h.host) ?? h.lastSeenUnixMs } : h)) }
        : old,
    );
  });

  return (
    <>
      <PageHeader title="Hosts" />
      {hostsQ.error && <ErrorNotice error={hostsQ.error} onRetry={() => void hostsQ.refetch()} />}
      {!hostsQ.data ? (
        !hostsQ.error && <Loading label="Loading hosts…" />
      ) : hostsQ.data.hosts.length === 0 ? (
        <Empty>No host has reported yet. Each worker reports its own host every few seconds.</Empty>
      ) : (
        <div className="space-y-4">
          {hostsQ.data.hosts.map((h) => (
            <HostCard key={h.host} entry={h} now={now} />
          ))}
        </div>
      )}
    </>
  );
}
