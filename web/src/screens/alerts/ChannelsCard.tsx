// Notification channels: list, add, edit, send a test, route to monitors, delete.
import { useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { createConnectQueryKey, useMutation, useQuery } from "@connectrpc/connect-query";
import { CircleAlert, CircleCheck, Pencil, Plus, Route, Send, Trash2, X } from "lucide-react";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { Delivery, NotificationChannel } from "../../gen/pulsar/v1/notification_pb";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Button, Card, CardTitle, Empty, cx } from "../../components/ui";
import type { OverviewRow } from "../../live/overview";
import { ChannelEditor } from "./ChannelEditor";
import { RoutingEditor } from "./RoutingEditor";
import { describeTest, kindLabel, summarizeConfig } from "./channelForm";

export function ChannelsCard({ monitors }: { monitors: OverviewRow[] }) {
  const channelsQ = useQuery(AlertService.method.listChannels, {});
  const [editing, setEditing] = useState<NotificationChannel | "new" | undefined>();
  const [routing, setRouting] = useState<bigint | undefined>();
  const [deleting, setDeleting] = useState<NotificationChannel | undefined>();
  const remove = useMutation(AlertService.method.deleteChannel, {
    onSuccess: () => void channelsQ.refetch(),
    onSettled: () => setDeleting(undefined),
  });

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
            <ChannelItem
              key={String(c.id)}
              channel={c}
              monitors={monitors}
              routing={routing === c.id}
              onRouting={() => setRouting(routing === c.id ? undefined : c.id)}
              onEdit={() => setEditing(c)}
              onDelete={() => setDeleting(c)}
            />
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

type TestState = { sending: true } | { sending: false; delivery: Delivery | undefined } | { sending: false; error: unknown };

function ChannelItem({
  channel: c,
  monitors,
  routing,
  onRouting,
  onEdit,
  onDelete,
}: {
  channel: NotificationChannel;
  monitors: OverviewRow[];
  routing: boolean;
  onRouting: () => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const client = useQueryClient();
  const [tested, setTested] = useState<TestState | undefined>();
  const item = useRef<HTMLLIElement>(null);
  const test = useMutation(AlertService.method.testChannel, {
    // The attempt is in the delivery log now.
    onSettled: () => void client.invalidateQueries({ queryKey: createConnectQueryKey({ schema: AlertService.method.listDeliveries, cardinality: undefined }) }),
  });
  const sendTest = () => {
    if (test.isPending) return;
    setTested({ sending: true });
    test.mutate(
      { id: c.id },
      {
        onSuccess: (r) => setTested({ sending: false, delivery: r.delivery }),
        onError: (error) => setTested({ sending: false, error }),
      },
    );
  };
  // The dismissed result held the focus: give it back to the button that asked for it.
  const dismiss = () => {
    setTested(undefined);
    item.current?.querySelector<HTMLElement>("[data-send-test]")?.focus();
  };
  const summary = summarizeConfig(c);
  return (
    <li ref={item} className="py-3" data-testid="channel" data-channel={c.name}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium">
            {c.name} <span className="ml-1 rounded bg-surface-2 px-1.5 py-0.5 text-xs">{kindLabel(c.kind)}</span>
            <span className={cx("ml-2 text-xs", c.enabled ? "text-up" : "text-muted")}>{c.enabled ? "enabled" : "disabled"}</span>
          </p>
          {summary && (
            <p className="truncate text-xs text-muted" title={summary}>
              {summary}
            </p>
          )}
        </div>
        <div className="flex flex-wrap gap-1.5">
          <Button
            data-send-test
            className="aria-disabled:cursor-progress aria-disabled:opacity-60"
            onClick={sendTest}
            aria-disabled={test.isPending}
            aria-describedby={tested ? `channel-${c.id}-test` : undefined}
          >
            <Send aria-hidden="true" className="size-4" /> Send test
          </Button>
          <Button aria-expanded={routing} onClick={onRouting}>
            <Route aria-hidden="true" className="size-4" /> Routing
          </Button>
          <Button onClick={onEdit}>
            <Pencil aria-hidden="true" className="size-4" /> Edit
          </Button>
          <Button variant="ghost" aria-label={`Delete ${c.name}`} onClick={onDelete}>
            <Trash2 aria-hidden="true" className="size-4 text-down" />
          </Button>
        </div>
      </div>
      {/* Always there, so screen readers announce the result when it arrives. */}
      <div id={`channel-${c.id}-test`} aria-live="polite" className={cx(tested && "mt-2")}>
        {tested && <TestResult state={tested} onDismiss={dismiss} />}
      </div>
      {routing && (
        <div className="mt-2">
          <RoutingEditor channelId={c.id} monitors={monitors} />
        </div>
      )}
    </li>
  );
}

/** What became of a test message: delivered or not, the receiver's answer, how long it took. */
function TestResult({ state, onDismiss }: { state: TestState; onDismiss: () => void }) {
  if (state.sending) return <p className="text-sm text-muted">Sending a test message…</p>;
  if ("error" in state) return <ErrorNotice error={state.error} retryLabel="Dismiss" onRetry={onDismiss} />;
  const r = describeTest(state.delivery);
  const Icon = r.ok ? CircleCheck : CircleAlert;
  return (
    <div
      data-testid="test-result"
      data-ok={r.ok}
      className={cx("flex items-start gap-2 rounded-lg border p-3 text-sm", r.ok ? "border-up/40 bg-up/10" : "border-down/40 bg-down/10")}
    >
      <Icon aria-hidden="true" className={cx("mt-0.5 size-4 shrink-0", r.ok ? "text-up" : "text-down")} />
      <div className="min-w-0 flex-1">
        <p className="font-semibold">
          {r.title}
          {r.latency && (
            <span className="font-normal text-muted tabular-nums">
              {" "}
              {r.ok ? "in" : "after"} {r.latency}
            </span>
          )}
        </p>
        {/* A receiver's answer can be long: three lines here, all of it on hover and to screen readers. */}
        {r.detail && (
          <p className="line-clamp-3 break-words text-muted" title={r.detail} data-testid="test-detail">
            {r.detail}
          </p>
        )}
      </div>
      <Button variant="ghost" aria-label="Dismiss the test result" onClick={onDismiss} className="shrink-0">
        <X aria-hidden="true" className="size-4" />
      </Button>
    </div>
  );
}
