// Check now, pause or resume, edit, delete (after a confirmation). Errors show beside the
// buttons in words; a missing admin token is asked for by the transport and the action
// then goes on by itself.
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useMutation } from "@connectrpc/connect-query";
import { Pause, Pencil, Play, Trash2, Zap } from "lucide-react";
import { MonitorService } from "../../gen/pulsar/v1/api_pb";
import type { CheckResult } from "../../gen/pulsar/v1/check_pb";
import { MonitorState, type Monitor } from "../../gen/pulsar/v1/monitor_pb";
import { Link, navigate } from "../../app/router";
import { paths } from "../../app/routes";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui";
import { noteMonitorChanged } from "../../live/overviewQuery";

export function MonitorActions({
  monitor,
  onChecked,
  onChanged,
}: {
  monitor: Monitor;
  onChecked: (result: CheckResult) => void;
  onChanged: (monitor: Monitor) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const checkNow = useMutation(MonitorService.method.checkNow, {
    onSuccess: (r) => r.result && onChecked(r.result),
  });
  const pause = useMutation(MonitorService.method.pauseMonitor, { onSuccess: (r) => r.monitor && onChanged(r.monitor) });
  const resume = useMutation(MonitorService.method.resumeMonitor, { onSuccess: (r) => r.monitor && onChanged(r.monitor) });
  const client = useQueryClient();
  const remove = useMutation(MonitorService.method.deleteMonitor, {
    onSuccess: () => {
      noteMonitorChanged(client, monitor, true);
      navigate(paths.overview());
    },
    onSettled: () => setConfirming(false),
  });
  const paused = monitor.state === MonitorState.PAUSED;
  const error = checkNow.error ?? pause.error ?? resume.error ?? remove.error;

  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap justify-end gap-2">
        <Button onClick={() => checkNow.mutate({ id: monitor.id })} disabled={checkNow.isPending}>
          <Zap aria-hidden="true" className="size-4" /> {checkNow.isPending ? "Checking…" : "Check now"}
        </Button>
        {paused ? (
          <Button onClick={() => resume.mutate({ id: monitor.id })} disabled={resume.isPending}>
            <Play aria-hidden="true" className="size-4" /> Resume
          </Button>
        ) : (
          <Button onClick={() => pause.mutate({ id: monitor.id })} disabled={pause.isPending}>
            <Pause aria-hidden="true" className="size-4" /> Pause
          </Button>
        )}
        <Link
          href={paths.editMonitor(monitor.id)}
          className="inline-flex min-h-9 items-center gap-1.5 rounded-lg border border-line bg-surface px-3 py-1.5 text-sm font-medium hover:bg-surface-2"
        >
          <Pencil aria-hidden="true" className="size-4" /> Edit
        </Link>
        <Button variant="danger" onClick={() => setConfirming(true)}>
          <Trash2 aria-hidden="true" className="size-4" /> Delete
        </Button>
      </div>
      {error && (
        <ErrorNotice
          error={error}
          className="w-full max-w-md"
          retryLabel="Dismiss"
          onRetry={() => {
            checkNow.reset();
            pause.reset();
            resume.reset();
            remove.reset();
          }}
        />
      )}
      <ConfirmDialog
        open={confirming}
        title={`Delete “${monitor.name}”?`}
        confirmLabel={remove.isPending ? "Deleting…" : "Delete monitor"}
        busy={remove.isPending}
        onConfirm={() => remove.mutate({ id: monitor.id })}
        onCancel={() => setConfirming(false)}
      >
        Its checks stop, and its results, summaries and incidents are deleted. This cannot be undone.
      </ConfirmDialog>
    </div>
  );
}
