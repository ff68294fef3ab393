// Which monitors a channel alerts for: all of them, those carrying some labels, and/or a
// list picked by name. The three add up. Separately, whether it alerts for hosts.
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Button } from "../../components/ui";
import { violationsOf } from "../../api/errors";
import type { Pair } from "../../lib/monitorForm";
import type { OverviewRow } from "../../live/overview";
import { CheckField } from "../form/fields";
import { LabelsEditor } from "../form/PairsEditor";
import { MonitorPicker } from "./MonitorPicker";

export function RoutingEditor({ channelId, monitors }: { channelId: bigint; monitors: OverviewRow[] }) {
  const routingQ = useQuery(AlertService.method.getChannelRouting, { channelId });
  const save = useMutation(AlertService.method.setChannelRouting, { onSuccess: () => void routingQ.refetch() });
  const [all, setAll] = useState(false);
  const [hosts, setHosts] = useState(false);
  const [labels, setLabels] = useState<Pair[]>([]);
  const [picked, setPicked] = useState<Set<string>>(new Set());

  const routing = routingQ.data?.routing;
  useEffect(() => {
    if (!routing) return;
    setAll(routing.allMonitors);
    setHosts(routing.hosts);
    setLabels(Object.entries(routing.labels).map(([key, value]) => ({ key, value })));
    setPicked(new Set(routing.monitorIds));
  }, [routing]);

  const errors = Object.fromEntries(violationsOf(save.error).map((v) => [v.field.replace(/^routing\./, ""), v.description]));

  if (routingQ.error) return <ErrorNotice error={routingQ.error} onRetry={() => void routingQ.refetch()} />;
  if (!routing) return <Loading />;

  return (
    <div className="space-y-3 rounded-lg bg-surface-2 p-3">
      <CheckField field={`all-${channelId}`} label="Every monitor" hint="A default channel: alerts for all monitors." checked={all} onChange={setAll} />
      <LabelsEditor field={`routing-labels-${channelId}`} legend="Monitors carrying all of these labels" pairs={labels} onChange={setLabels} errors={errors} />
      <MonitorPicker monitors={monitors} picked={picked} onChange={setPicked} error={errors.monitor_ids} />
      <CheckField
        field={`hosts-${channelId}`}
        label="Host alerts"
        hint="Also when a host's rule fires or resolves: CPU, memory, a full disk, zombies, threads, load, or a host gone silent."
        checked={hosts}
        onChange={setHosts}
      />
      {save.error && violationsOf(save.error).length === 0 && <ErrorNotice error={save.error} />}
      <div className="flex items-center justify-end gap-2">
        {save.isSuccess && <span className="text-sm text-up">Saved</span>}
        <Button
          variant="primary"
          disabled={save.isPending}
          onClick={() =>
            save.mutate({
              routing: {
                channelId,
                allMonitors: all,
                labels: Object.fromEntries(labels.filter((l) => l.key).map((l) => [l.key.trim(), l.value])),
                monitorIds: [...picked],
                hosts,
              },
            })
          }
        >
          Save routing
        </Button>
      </div>
    </div>
  );
}
