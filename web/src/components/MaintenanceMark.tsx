// A check run while a maintenance window muted its monitor's alerts: a small wrench and the
// word, quiet beside the result it marks.
import { Wrench } from "lucide-react";
import { cx } from "./ui";

export const MAINTENANCE_NOTE = "Checked during a maintenance window: its alerts were muted";

export function MaintenanceMark({ className }: { className?: string }) {
  return (
    <span
      title={MAINTENANCE_NOTE}
      data-testid="maintenance-mark"
      className={cx("inline-flex items-center gap-0.5 rounded bg-surface-2 px-1 text-xs text-muted", className)}
    >
      <Wrench aria-hidden="true" className="size-3" />
      maintenance
    </span>
  );
}
