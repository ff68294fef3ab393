// Maintenance windows: list (schedule and coverage in words, which are open now), add,
// edit, delete. Which windows are open comes from the server; the page works out when that
// next changes (the same rule as the server) and asks again then, instead of polling.
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { Pencil, Plus, Trash2, Wrench } from "lucide-react";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { MaintenanceWindow } from "../../gen/pulsar/v1/maintenance_pb";
import { useNow } from "../../app/useNow";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Loading } from "../../components/Loading";
import { Button, Card, CardTitle, Empty } from "../../components/ui";
import type { OverviewRow } from "../../live/overview";
import { MaintenanceEditor } from "./MaintenanceEditor";
import { describeCoverage, describeSchedule, endedAt, openAt } from "./maintenanceForm";

export function MaintenanceCard({ monitors, names }: { monitors: OverviewRow[]; names: Map<string, string> }) {
  const q = useQuery(AlertService.method.listMaintenanceWindows, {});
  const now = useNow(10_000);
  const [editing, setEditing] = useState<MaintenanceWindow | "new" | undefined>();
  const [deleting, setDeleting] = useState<MaintenanceWindow | undefined>();
  const remove = useMutation(AlertService.method.deleteMaintenanceWindow, {
    onSuccess: () => void q.refetch(),
    onSettled: () => setDeleting(undefined),
  });

  const windows = q.data?.windows ?? [];
  const active = new Set((q.data?.activeIds ?? []).map(String));
  // A window opened or closed since the list was read: read it again.
  const fetchedAt = q.dataUpdatedAt;
  const { refetch, isFetching } = q;
  useEffect(() => {
    if (!windows.length || isFetching) return;
    if (openAt(windows, fetchedAt) !== openAt(windows, now)) void refetch();
  }, [windows, fetchedAt, now, isFetching, refetch]);

  return (
    <Card aria-labelledby="maintenance-title" data-testid="maintenance-card">
      <CardTitle
        id="maintenance-title"
        right={
          <Button variant="primary" onClick={() => setEditing("new")}>
            <Plus aria-hidden="true" className="size-4" /> Add window
          </Button>
        }
      >
        Maintenance windows
      </CardTitle>
      <p className="-mt-2 mb-2 text-xs text-muted">
        While a window is open, the monitors it covers are still checked but nobody is notified; when it closes, a state that changed
        meanwhile is announced.
      </p>
      {q.error && <ErrorNotice error={q.error} onRetry={() => void q.refetch()} />}
      {q.isPending ? (
        <Loading />
      ) : windows.length === 0 ? (
        !q.error && <Empty>No maintenance window: every change of state is announced.</Empty>
      ) : (
        <ul className="divide-y divide-line">
          {windows.map((w) => (
            <WindowItem
              key={String(w.id)}
              window={w}
              active={active.has(String(w.id))}
              ended={endedAt(w, now)}
              now={now}
              names={names}
              onEdit={() => setEditing(w)}
              onDelete={() => setDeleting(w)}
            />
          ))}
        </ul>
      )}
      <MaintenanceEditor
        open={editing !== undefined}
        window={editing === "new" ? undefined : editing}
        monitors={monitors}
        onClose={() => setEditing(undefined)}
        onSaved={() => void q.refetch()}
      />
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete “${deleting?.name ?? ""}”?`}
        confirmLabel="Delete window"
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
        onCancel={() => setDeleting(undefined)}
      >
        {deleting && active.has(String(deleting.id))
          ? "It is open now: alerts for the monitors it covers resume at once."
          : "Alerts for the monitors it covers are no longer muted at its times."}
      </ConfirmDialog>
      {remove.error && <ErrorNotice error={remove.error} className="mt-2" />}
    </Card>
  );
}

function WindowItem({
  window: w,
  active,
  ended,
  now,
  names,
  onEdit,
  onDelete,
}: {
  window: MaintenanceWindow;
  active: boolean;
  ended: boolean;
  now: number;
  names: Map<string, string>;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const coverage = describeCoverage(w);
  // The listed monitors by name, on hover.
  const listed = w.allMonitors ? "" : w.monitorIds.map((id) => names.get(id) ?? id).join(", ");
  return (
    <li className="flex flex-wrap items-center justify-between gap-2 py-3" data-testid="maintenance-window" data-window={w.name} data-active={active}>
      <div className="min-w-0">
        <p className="flex flex-wrap items-center gap-x-2 font-medium">
          <span className="break-words">{w.name}</span>
          {active && (
            <span className="inline-flex items-center gap-1 rounded-full bg-accent/15 px-2 py-0.5 text-xs font-semibold text-accent" data-testid="window-active">
              <Wrench aria-hidden="true" className="size-3" /> active now
            </span>
          )}
          {ended && !active && <span className="text-xs text-muted">ended</span>}
        </p>
        <p className="text-sm">{describeSchedule(w, now)}</p>
        <p className="truncate text-xs text-muted" title={listed || undefined}>
          Covers {coverage}
        </p>
      </div>
      <div className="flex flex-wrap gap-1.5">
        <Button onClick={onEdit}>
          <Pencil aria-hidden="true" className="size-4" /> Edit
        </Button>
        <Button variant="ghost" aria-label={`Delete ${w.name}`} onClick={onDelete}>
          <Trash2 aria-hidden="true" className="size-4 text-down" />
        </Button>
      </div>
    </li>
  );
}
