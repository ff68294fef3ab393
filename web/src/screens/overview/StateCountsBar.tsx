// Counts by state, which double as the state filter: press one or more to narrow the list.
import { TONE_ICON, TONE_LABEL, TONE_TEXT, type Tone } from "../../components/StateBadge";
import { cx } from "../../components/ui";
import type { StateCounts } from "../../live/overview";

const ORDER: Tone[] = ["down", "degraded", "up", "paused", "unknown"];

export function StateCountsBar({
  counts,
  total,
  openIncidents,
  selected,
  onToggle,
  onClear,
}: {
  counts: StateCounts;
  total: number;
  openIncidents: number;
  selected: ReadonlySet<Tone>;
  onToggle: (tone: Tone) => void;
  onClear: () => void;
}) {
  const base = "flex min-w-0 flex-1 flex-col items-start rounded-xl border bg-surface px-2.5 py-1.5 text-left sm:min-w-[6.5rem] sm:px-3 sm:py-2";
  return (
    <div role="group" aria-label="Monitors by state; press to filter" className="mb-3 grid grid-cols-4 gap-2 sm:flex sm:flex-wrap">
      <button
        type="button"
        aria-pressed={selected.size === 0}
        onClick={onClear}
        className={cx(base, selected.size === 0 ? "border-accent ring-1 ring-accent" : "border-line")}
      >
        <span className="text-xs text-muted">
          All<span className="hidden sm:inline"> monitors</span>
        </span>
        <span className="text-xl font-semibold tabular-nums sm:text-2xl" data-testid="count-all">
          {total}
        </span>
      </button>
      {ORDER.map((tone) => {
        const Icon = TONE_ICON[tone];
        const pressed = selected.has(tone);
        return (
          <button
            key={tone}
            type="button"
            aria-pressed={pressed}
            onClick={() => onToggle(tone)}
            className={cx(base, pressed ? "border-accent ring-1 ring-accent" : "border-line")}
          >
            <span className={cx("inline-flex max-w-full items-center gap-1 truncate text-xs font-medium", TONE_TEXT[tone])}>
              <Icon aria-hidden="true" className="size-3.5" /> {TONE_LABEL[tone]}
            </span>
            <span className="text-xl font-semibold tabular-nums sm:text-2xl" data-testid={`count-${tone}`}>
              {counts[tone]}
            </span>
          </button>
        );
      })}
      <div className={cx(base, "border-line")}>
        <span className="text-xs text-muted">
          <span className="hidden sm:inline">Open </span>Incidents
        </span>
        <span className={cx("text-xl font-semibold tabular-nums sm:text-2xl", openIncidents > 0 && "text-down")}>{openIncidents}</span>
      </div>
    </div>
  );
}
