// Monitors picked by name from a filterable list of checkboxes: a channel's routing and a
// maintenance window's list. Picked ids the list does not show (a deleted monitor) are
// kept and counted.
import { useMemo, useState, type ReactNode } from "react";
import type { OverviewRow } from "../../live/overview";
import { cx } from "../../components/ui";

/** At most this many rows are rendered; the filter narrows the rest. */
const SHOWN = 200;

export function MonitorPicker({
  monitors,
  picked,
  onChange,
  error,
  legend = "These monitors",
  className,
}: {
  monitors: OverviewRow[];
  picked: ReadonlySet<string>;
  onChange: (picked: Set<string>) => void;
  error?: ReactNode;
  legend?: string;
  className?: string;
}) {
  const [filter, setFilter] = useState("");
  const shown = useMemo(
    () => monitors.filter((m) => m.monitor.name.toLowerCase().includes(filter.toLowerCase())).slice(0, SHOWN),
    [monitors, filter],
  );
  const unlisted = useMemo(() => {
    const known = new Set(monitors.map((m) => m.id));
    return [...picked].filter((id) => !known.has(id)).length;
  }, [monitors, picked]);
  const toggle = (id: string) => {
    const next = new Set(picked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onChange(next);
  };
  return (
    <fieldset className={className}>
      <legend className="mb-1 text-sm font-medium">
        {legend} ({picked.size} chosen)
        {unlisted > 0 && <span className="ml-1 font-normal text-muted">, {unlisted} no longer listed</span>}
        {error && <span className="ml-2 text-down">{error}</span>}
      </legend>
      <input
        type="search"
        aria-label="Find a monitor"
        placeholder="Find a monitor"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        className="mb-2 w-full rounded-lg border border-line bg-canvas px-3 py-1.5 text-sm"
      />
      <div className={cx("max-h-48 space-y-1 overflow-y-auto", shown.length === 0 && "hidden")}>
        {shown.map((m) => (
          <label key={m.id} className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={picked.has(m.id)} onChange={() => toggle(m.id)} className="size-4" />
            <span className="truncate">{m.monitor.name}</span>
          </label>
        ))}
      </div>
      {shown.length === 0 && <p className="text-sm text-muted">{monitors.length === 0 ? "No monitor yet." : "No monitor matches."}</p>}
    </fieldset>
  );
}
