// Notification channels: list, add, edit, send a test, route to monitors, delete.
import { useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { Pencil, Plus, Route, Send, Trash2 } from "lucide-react";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { NotificationChannel } from "../../gen/pulsar/v1/notification_pb";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Button, Card, CardTitle, Empty, cx } from "../../components/ui";
import type { OverviewRow } from "../../live/overview";
import { ChannelEditor } from "./ChannelEditor";
import { RoutingEditor } from "./RoutingEditor";

export function ChannelsCard({ monitors }: { monitors: OverviewRow[] }) {
  const channelsQ = useQuery(AlertService.method.listChannels, {});
  const [editing, setEditing] = useState<NotificationChannel | "new" | undefined>();
  const [routing, setRouting] = useState<bigint | undefined>();
  const [deleting, setDeleting] = useState<NotificationChannel | undefined>();
  const [tested, setTested] = useState<{ id: bigint; error?: unknown; detail?: string; ok?: boolean } | undefined>();
  const test = useMutation(AlertService.method.testChannel);
  const remove = useMutation(AlertService.method.deleteChannel, {
    onSuccess: () => void channelsQ.refetch(),
    onSettled: () => setDeleting(undefined),
  });

  const sendTest = (id: bigint) => {
    setTested({ id });
    test.mutate(
      { id },
      {
        onSuccess: (r) => setTested({ id, ok: r.delivery?.success ?? false, detail: r.delivery?.detail }),
        onError: (error) => setTested({ id, error }),
      },
    );
  };

  const channels = channelsQ.data?.channels ?? [];
  return (
    <Card aria-labelledby="channels-title">
      <CardTitle
        id="channels-title"
        right={
          <Button variant="primary" onClick={() => setEditing("new")}>
            <Plus aria-hidden="true" className="size-4" /> Add channel
          </Button>
        }
      >
        Notification channels
      </CardTitle>
      {channelsQ.error && <ErrorNotice error={channelsQ.error} onRetry={() => void channelsQ.refetch()} />}
      {channelsQ.isPending ? (
        <Loading />
      ) : channels.length === 0 ? (
        !channelsQ.error && <Empty>No channel yet: alerts have nowhere to go.</Empty>
      ) : (
        <ul className="divide-y divide-line">
          {channels.map((c) => (
            <li key={String(c.id)} className="py-3" data-testid="channel">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <div className="min-w-0">
                  <p className="font-medium">
                    {c.name} <span className="ml-1 rounded bg-surface-2 px-1.5 py-0.5 text-xs">{c.kind}</span>
                    <span className={cx("ml-2 text-xs", c.enabled ? "text-up" : "text-muted")}>{c.enabled ? "enabled" : "disabled"}</span>
                  </p>
                  <p className="truncate text-xs text-muted">
                    {Object.entries(c.config)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(" · ")}
                  </p>
                </div>
                <div className="flex flex-wrap gap-1.5">
                  <Button onClick={() => sendTest(c.id)} disabled={test.isPending && tested?.id === c.id}>
                    <Send aria-hidden="true" className="size-4" /> Send test
                  </Button>
                  <Button aria-expanded={routing === c.id} onClick={() => setRouting(routing === c.id ? undefined : c.id)}>
                    <Route aria-hidden="true" className="size-4" /> Routing
                  </Button>
                  <Button onClick={() => setEditing(c)}>
                    <Pencil aria-hidden="true" className="size-4" /> Edit
                  </Button>
                  <Button variant="ghost" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>
                    <Trash2 aria-hidden="true" className="size-4 text-down" />
                  </Button>
                </div>
              </div>
              {tested?.id === c.id && (
                <div className="mt-2" aria-live="polite">
                  {tested.error ? (
                    <ErrorNotice error={tested.error} retryLabel="Dismiss" onRetry={() => setTested(undefined)} />
                  ) : tested.ok === undefined ? (
                    <p className="text-sm text-muted">Sending…</p>
                  ) : (
                    <p className={cx("text-sm", tested.ok ? "text-up" : "text-down")}>
                      {tested.ok ? "Delivered" : "Not delivered"}: {tested.detail}
                    </p>
                  )}
                </div>
              )}
              {routing === c.id && (
                <div className="mt-2">
                  <RoutingEditor channelId={c.id} monitors={monitors} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <ChannelEditor
        open={editing !== undefined}
        channel={editing === "new" ? undefined : editing}
        onClose={() => setEditing(undefined)}
        onSaved={() => void channelsQ.refetch()}
      />
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete “${deleting?.name ?? ""}”?`}
        confirmLabel="Delete channel"
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
        onCancel={() => setDeleting(undefined)}
      >
        Alerts stop going to it. Its past deliveries stay in the log.
      </ConfirmDialog>
      {remove.error && <ErrorNotice error={remove.error} className="mt-2" />}
    </Card>
  );
}
