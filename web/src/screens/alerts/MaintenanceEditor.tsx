// Add or edit a maintenance window: a name, a one-off or weekly schedule, and the monitors
// it covers (all, by labels, listed; the three add up). The server's rules run as you save;
// what it still refuses lands beside the field it names.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { Code, ConnectError } from "@connectrpc/connect";
import { AlertService } from "../../gen/pulsar/v1/api_pb";
import type { MaintenanceWindow } from "../../gen/pulsar/v1/maintenance_pb";
import { violationsOf } from "../../api/errors";
import { Dialog } from "../../components/Dialog";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button, cx } from "../../components/ui";
import type { FieldErrors } from "../../lib/monitorForm";
import type { OverviewRow } from "../../live/overview";
import { CheckField, SelectField, TextField, fieldId, inputClass } from "../form/fields";
import { PairsEditor } from "../form/PairsEditor";
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
  type WindowFormValues,
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
  const [values, setValues] = useState(() => windowForm(existing));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [focusError, setFocusError] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const done = () => {
    onSaved();
    onClose();
  };
  const create = useMutation(AlertService.method.createMaintenanceWindow, { onSuccess: done });
  const update = useMutation(AlertService.method.updateMaintenanceWindow, { onSuccess: done });
  const mutation = existing ? update : create;
  const { reset: resetCreate } = create;
  const { reset: resetUpdate } = update;
  useEffect(() => {
    if (open) {
      setValues(windowForm(existing));
      setErrors({});
      resetCreate();
      resetUpdate();
    }
  }, [open, existing, resetCreate, resetUpdate]);
  useEffect(() => {
    const error = mutation.error;
    if (!error) return;
    const v = violationsOf(error);
    // The name is unique: the store says so without naming a field.
    const taken = ConnectError.from(error).code === Code.AlreadyExists;
    if (v.length || taken) {
      setErrors(v.length ? windowErrors(v) : { name: "another window already has this name" });
      setFocusError(true);
    }
  }, [mutation.error]);
  useEffect(() => {
    if (!focusError) return;
    // Nothing covered: the first box to tick is the place to go.
    const target =
      formRef.current?.querySelector<HTMLElement>("[aria-invalid=true]") ??
      (errors.monitor_ids ? formRef.current?.querySelector<HTMLElement>(`#${fieldId("window-all")}`) : undefined);
    target?.focus();
    setFocusError(false);
  }, [focusError, errors]);

  const set = <K extends keyof WindowFormValues>(key: K, value: WindowFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateWindow(values);
    setErrors(found);
    if (Object.keys(found).length) {
      setFocusError(true);
      return;
    }
    const w = windowFromForm(values);
    if (existing) update.mutate({ window: w });
    else create.mutate({ window: w });
  };

  const unplaced = Object.entries(errors).filter(([field]) => !PLACED.has(field) && !field.startsWith("labels."));
  const handled = violationsOf(mutation.error).length > 0 || (mutation.error !== null && ConnectError.from(mutation.error).code === Code.AlreadyExists);
  const here = browserOffset();
  const offsets = offsetChoices();
  const toggleDay = (day: number) => set("days", values.days.includes(day) ? values.days.filter((d) => d !== day) : [...values.days, day].sort((a, b) => a - b));

  return (
    <Dialog open={open} onClose={onClose} wide title={existing ? `Edit “${existing.name}”` : "Add a maintenance window"}>
      <form ref={formRef} onSubmit={submit} noValidate className="space-y-3" aria-label={existing ? "Edit maintenance window" : "New maintenance window"}>
        {unplaced.length > 0 && (
          <div role="alert" className="rounded-lg border border-down/40 bg-down/10 px-3 py-2 text-sm" data-testid="window-errors">
            <ul className="list-disc pl-5">
              {unplaced.map(([field, message]) => (
                <li key={field}>
                  <code>{field}</code>: {message}
                </li>
              ))}
            </ul>
          </div>
        )}
        <TextField
          field="name"
          label="Name"
          value={values.name}
          error={errors.name}
          autoFocus={!existing}
          placeholder="Database upgrade"
          onChange={(e) => set("name", e.target.value)}
        />

        <fieldset className="rounded-xl border border-line p-3 sm:p-4" data-testid="window-schedule">
          <legend className="px-1 text-sm font-semibold">When</legend>
          <ScheduleToggle value={values.kind} onChange={(kind) => set("kind", kind)} />
          {values.kind === "once" ? (
            <div className="mt-3 grid gap-3 sm:grid-cols-2">
              <TextField
                field="once.start"
                label="Starts"
                type="datetime-local"
                value={values.start}
                error={errors["once.start"]}
                onChange={(e) => set("start", e.target.value)}
              />
              <TextField
                field="once.end"
                label="Ends"
                type="datetime-local"
                value={values.end}
                error={errors["once.end"]}
                onChange={(e) => set("end", e.target.value)}
              />
              <p className="-mt-1 text-xs text-muted sm:col-span-2">In this browser’s time ({offsetLabel(here)}). Alerts are muted from the start until the end.</p>
            </div>
          ) : (
            <div className="mt-3 grid gap-3 sm:grid-cols-2">
              <DayPicker days={values.days} error={errors["weekly.days"]} onToggle={toggleDay} />
              <TextField
                field="weekly.start_minute"
                label="From"
                type="time"
                value={values.time}
                error={errors["weekly.start_minute"]}
                onChange={(e) => set("time", e.target.value)}
              />
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
          <PairsEditor
            field="window-labels"
            legend="Monitors carrying all of these labels"
            keyLabel="Key"
            valueLabel="Value"
            addLabel="Add label"
            pairs={values.labels}
            onChange={(labels) => set("labels", labels)}
            errorFor={(i, p) => errors[`labels.${p.key.trim()}`] ?? (i === 0 ? errors.labels : undefined)}
          />
          <MonitorPicker
            monitors={monitors}
            picked={new Set(values.monitorIds)}
            onChange={(picked) => set("monitorIds", [...picked])}
          />
        </fieldset>

        {mutation.error && !handled && <ErrorNotice error={mutation.error} />}
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={mutation.isPending}>
            {mutation.isPending ? "Saving…" : existing ? "Save" : "Add window"}
          </Button>
        </div>
      </form>
    </Dialog>
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
