// Add or edit a maintenance window: a name, a one-off or weekly schedule, and the monitors
// it covers (all, by labels, listed; the three add up). The server's rules run as you save;
// what it still refuses lands beside the field it names.
import type { ReactNode } from "react";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { MaintenanceWindow } from "../../gen/pulsar/v1/maintenance_pb";
import { cx } from "../../components/ui";
import type { FieldErrors } from "../../lib/monitorForm";
import type { OverviewRow } from "../../live/overview";
import { CheckField, SelectField, TextField, fieldId, inputClass } from "../form/fields";
import { LabelsEditor } from "../form/PairsEditor";
import { firstInvalid, useEditor } from "../form/useEditor";
import { EditorDialog } from "./EditorDialog";
import { MonitorPicker } from "./MonitorPicker";
import {
  DAY_FULL_NAMES,
  DAY_NAMES,
  DURATION_UNITS,
  browserOffset,
  offsetChoices,
  offsetLabel,
  validateWindow,
  windowErrors,
  windowForm,
  windowFromForm,
  type DurationUnit,
  type ScheduleKind,
} from "./maintenanceForm";

/** An input that shares its row: the field's look without its full width. */
const narrowInput = inputClass.replace("w-full", "");

/** Fields shown on screen, by the key their errors come under. */
const PLACED = new Set([
  "name",
  "once.start",
  "once.end",
  "weekly.days",
  "weekly.start_minute",
  "weekly.duration_minutes",
  "weekly.utc_offset_minutes",
  "monitor_ids",
  "labels",
]);

/** Nothing covered: the first box to tick is the place to go. */
function focusTarget(form: HTMLFormElement, errors: FieldErrors) {
  return firstInvalid(form) ?? (errors.monitor_ids ? form.querySelector<HTMLElement>(`#${fieldId("window-all")}`) : undefined);
}

export function MaintenanceEditor({
  open,
  window: existing,
  monitors,
  onClose,
  onSaved,
}: {
  open: boolean;
  window: MaintenanceWindow | undefined;
  monitors: OverviewRow[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const { values, set, bind, errors, formRef, submit, mutation, unhandledError } = useEditor({
    existing,
    formOf: windowForm,
    open,
    create: AlertService.method.createMaintenanceWindow,
    update: AlertService.method.updateMaintenanceWindow,
    validate: validateWindow,
    request: (v) => ({ window: windowFromForm(v) }),
    violationErrors: windowErrors,
    // The name is unique: the store says so without naming a field.
    nameTaken: "another window already has this name",
    onSaved: () => {
      onSaved();
      onClose();
    },
    focusTarget,
  });

  const unplaced = Object.entries(errors).filter(([field]) => !PLACED.has(field) && !field.startsWith("labels."));
  const here = browserOffset();
  const offsets = offsetChoices();
  const toggleDay = (day: number) => set("days", values.days.includes(day) ? values.days.filter((d) => d !== day) : [...values.days, day].sort((a, b) => a - b));

  return (
    <EditorDialog
      open={open}
      onClose={onClose}
      title={existing ? `Edit “${existing.name}”` : "Add a maintenance window"}
      label={existing ? "Edit maintenance window" : "New maintenance window"}
      formRef={formRef}
      onSubmit={submit}
      unplaced={unplaced}
      errorsTestId="window-errors"
      error={unhandledError}
      pending={mutation.isPending}
      submitLabel={existing ? "Save" : "Add window"}
    >
      <TextField label="Name" autoFocus={!existing} placeholder="Database upgrade" {...bind("name", "name")} />

      <fieldset className="rounded-xl border border-line p-3 sm:p-4" data-testid="window-schedule">
        <legend className="px-1 text-sm font-semibold">When</legend>
        <ScheduleToggle value={values.kind} onChange={(kind) => set("kind", kind)} />
        {values.kind === "once" ? (
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            <TextField label="Starts" type="datetime-local" {...bind("once.start", "start")} />
            <TextField label="Ends" type="datetime-local" {...bind("once.end", "end")} />
            <p className="-mt-1 text-xs text-muted sm:col-span-2">In this browser’s time ({offsetLabel(here)}). Alerts are muted from the start until the end.</p>
          </div>
        ) : (
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            <DayPicker days={values.days} error={errors["weekly.days"]} onToggle={toggleDay} />
            <TextField label="From" type="time" {...bind("weekly.start_minute", "time")} />
            <DurationField
              value={values.duration}
              unit={values.durationUnit}
              error={errors["weekly.duration_minutes"]}
              onValue={(duration) => set("duration", duration)}
              onUnit={(unit) => set("durationUnit", unit)}
            />
            <SelectField
              field="weekly.utc_offset_minutes"
              label="Time zone"
              className="sm:col-span-2"
              value={values.utcOffsetMinutes}
              error={errors["weekly.utc_offset_minutes"]}
              hint="A fixed offset: the window does not follow summer time."
              onChange={(e) => set("utcOffsetMinutes", Number(e.target.value))}
            >
              {offsets.map((m) => (
                <option key={m} value={m}>
                  {offsetLabel(m)}
                  {m === here ? " (this browser now)" : ""}
                </option>
              ))}
              {!offsets.includes(values.utcOffsetMinutes) && <option value={values.utcOffsetMinutes}>{offsetLabel(values.utcOffsetMinutes)}</option>}
            </SelectField>
          </div>
        )}
      </fieldset>

      <fieldset className="space-y-3 rounded-xl border border-line p-3 sm:p-4" data-testid="window-coverage">
        <legend className="px-1 text-sm font-semibold">Monitors</legend>
        {errors.monitor_ids && (
          <p id={`${fieldId("monitor_ids")}-error`} className="text-sm text-down" data-testid="error-monitor_ids">
            {errors.monitor_ids}
          </p>
        )}
        <CheckField
          field="window-all"
          label="Every monitor"
          hint="Mutes all alerts while the window is open."
          checked={values.allMonitors}
          onChange={(allMonitors) => set("allMonitors", allMonitors)}
        />
        <LabelsEditor
          field="window-labels"
          legend="Monitors carrying all of these labels"
          pairs={values.labels}
          onChange={(labels) => set("labels", labels)}
          errors={errors}
        />
        <MonitorPicker monitors={monitors} picked={new Set(values.monitorIds)} onChange={(picked) => set("monitorIds", [...picked])} />
      </fieldset>
    </EditorDialog>
  );
}

/** Once or weekly, as a pair of radio buttons that look like a segmented switch. */
function ScheduleToggle({ value, onChange }: { value: ScheduleKind; onChange: (kind: ScheduleKind) => void }) {
  const choices: [ScheduleKind, string][] = [
    ["once", "Once"],
    ["weekly", "Every week"],
  ];
  return (
    <div role="radiogroup" aria-label="Repeats" className="inline-flex rounded-lg border border-line bg-surface p-0.5">
      {choices.map(([kind, label]) => (
        <label
          key={kind}
          className={cx(
            "cursor-pointer rounded-md px-3 py-1 text-sm font-medium has-focus-visible:outline-2 has-focus-visible:outline-[var(--focus)]",
            value === kind ? "bg-accent text-white dark:text-slate-950" : "text-muted hover:text-ink",
          )}
        >
          <input type="radio" name="window-kind" value={kind} checked={value === kind} onChange={() => onChange(kind)} className="sr-only" />
          {label}
        </label>
      ))}
    </div>
  );
}

function DayPicker({ days, error, onToggle }: { days: number[]; error: string | undefined; onToggle: (day: number) => void }) {
  const errorId = `${fieldId("weekly.days")}-error`;
  return (
    <fieldset className="sm:col-span-2" aria-describedby={error ? errorId : undefined}>
      <legend className="mb-1 text-sm font-medium">On</legend>
      <div className="flex flex-wrap gap-1">
        {DAY_NAMES.map((name, day) => {
          const on = days.includes(day);
          return (
            <label
              key={name}
              title={DAY_FULL_NAMES[day]}
              className={cx(
                "relative flex min-h-9 min-w-12 cursor-pointer items-center justify-center rounded-lg border px-2.5 text-sm font-medium select-none",
                "has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-[var(--focus)]",
                on ? "border-transparent bg-accent text-white dark:text-slate-950" : cx("text-muted hover:text-ink", error ? "border-down" : "border-line"),
              )}
            >
              {/* A real checkbox over the whole chip, for pointers, keyboards and screen readers; the chip shows its state. */}
              <input
                type="checkbox"
                checked={on}
                onChange={() => onToggle(day)}
                aria-label={DAY_FULL_NAMES[day]}
                aria-invalid={error && day === 0 ? true : undefined}
                className="absolute inset-0 size-full cursor-pointer appearance-none opacity-0"
              />
              {name}
            </label>
          );
        })}
      </div>
      {error && (
        <p id={errorId} className="mt-1 text-sm text-down" data-testid="error-weekly.days">
          {error}
        </p>
      )}
    </fieldset>
  );
}

function DurationField({
  value,
  unit,
  error,
  onValue,
  onUnit,
}: {
  value: string;
  unit: DurationUnit;
  error: string | undefined;
  onValue: (value: string) => void;
  onUnit: (unit: DurationUnit) => void;
}): ReactNode {
  const id = fieldId("weekly.duration_minutes");
  const hintId = `${id}-hint`;
  return (
    <div className="min-w-0">
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        For
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          inputMode="numeric"
          value={value}
          onChange={(e) => onValue(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={[error ? `${id}-error` : "", hintId].filter(Boolean).join(" ")}
          className={cx(narrowInput, "w-20 flex-none")}
        />
        <select aria-label="Unit" value={unit} onChange={(e) => onUnit(e.target.value as DurationUnit)} className={cx(narrowInput, "min-w-0 flex-1")}>
          {(Object.keys(DURATION_UNITS) as DurationUnit[]).map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
      </div>
      {error && (
        <p id={`${id}-error`} className="mt-1 text-sm text-down" data-testid="error-weekly.duration_minutes">
          {error}
        </p>
      )}
      <p id={hintId} className="mt-1 text-xs text-muted">
        1 minute to 7 days; may run past midnight.
      </p>
    </div>
  );
}
