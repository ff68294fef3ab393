// Where alerts go and what happened: channels with their routing, maintenance windows,
// incidents of monitors and of hosts, deliveries.
import { useMemo } from "react";
import { useQuery as useTanstackQuery } from "@tanstack/react-query";
import { useQuery, useTransport } from "@connectrpc/connect-query";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import { useNow } from "../../app/useNow";
import { PageHeader } from "../../components/ui";
import { overviewQuery } from "../../live/overviewQuery";
import { ChannelsCard } from "./ChannelsCard";
import { HostIncidentsCard } from "./HostIncidentsCard";
import { DeliveriesCard, IncidentsCard } from "./logs";
import { MaintenanceCard } from "./MaintenanceCard";

export default function AlertsScreen() {
  const transport = useTransport();
  const now = useNow();
  // Monitor names for incidents, deliveries and routing, from the overview's cache.
  const overview = useTanstackQuery(overviewQuery(transport));
  const channelsQ = useQuery(AlertService.method.listChannels, {});
  const rows = useMemo(() => overview.data?.rows ?? [], [overview.data]);
  const names = useMemo(() => new Map(rows.map((r) => [r.id, r.monitor.name])), [rows]);
  const channels = useMemo(() => new Map((channelsQ.data?.channels ?? []).map((c) => [c.id, c.name])), [channelsQ.data]);
  return (
    <>
      <PageHeader title="Alerts" />
      <div className="space-y-4">
        <ChannelsCard monitors={rows} />
        <MaintenanceCard monitors={rows} names={names} />
        <IncidentsCard names={names} now={now} />
        <HostIncidentsCard now={now} />
        {/* Full width: the log's six columns, the detail above all, need the room. */}
        <DeliveriesCard names={names} channels={channels} />
      </div>
    </>
  );
}
