// A maintenance window as the editor holds it (strings, as inputs do), how it maps to and
// from the proto, the server's rules (pulsar-core maintenance.rs `validate`) under the
// server's field names ("weekly.days", "once.end", "monitor_ids") so a violation lands
// beside the same input as the client's check, and the window in words for its list entry.
//
// One-off windows are typed in the browser's local time (datetime-local inputs); weekly ones
// keep their own fixed UTC offset, as the server does.
import { create } from "@bufbuild/protobuf";
import { MaintenanceWindowSchema, type MaintenanceWindow } from "../../gen/pulsar/v1/maintenance_pb";
import { violationErrors } from "../../api/errors";
import type { FieldErrors, Pair } from "../../lib/monitorForm";

export const WINDOW_LIMITS = {
  nameChars: 200,
  labels: 32,
  monitors: 10_000,
  /** 1 minute .. 7 days. */
  durationMinutesMax: 7 * 1440,
  utcOffsetMin: -720,
  utcOffsetMax: 840,
} as const;

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;

/** 0 = Monday … 6 = Sunday, as the proto numbers them. */
export const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export const DAY_FULL_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

export type ScheduleKind = "once" | "weekly";
export type DurationUnit = "minutes" | "hours" | "days";
export const DURATION_UNITS: Record<DurationUnit, number> = { minutes: 1, hours: 60, days: DAY_MINUTES };

export interface WindowFormValues {
  id: bigint;
  name: string;
  kind: ScheduleKind;
  /** Once: datetime-local values, in the browser's time zone. */
  start: string;
  end: string;
  /** Weekly: 0 = Monday … 6 = Sunday. */
  days: number[];
  /** Weekly: "HH:MM", in the window's zone. */
  time: string;
  /** Weekly: a whole number of `durationUnit`. */
  duration: string;
  durationUnit: DurationUnit;
  utcOffsetMinutes: number;
  allMonitors: boolean;
  labels: Pair[];
  monitorIds: string[];
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The browser's offset from UTC at `at`, in minutes east (UTC+1 is 60). */
export function browserOffset(at = Date.now()): number {
  // `|| 0` turns the -0 of a UTC browser into 0.
  return -new Date(at).getTimezoneOffset() || 0;
}

/** "UTC", "UTC+1", "UTC+5:30", "UTC-3". */
export function offsetLabel(minutes: number): string {
  if (minutes === 0) return "UTC";
  const abs = Math.abs(minutes);
  const rest = abs % 60;
  return `UTC${minutes < 0 ? "-" : "+"}${Math.floor(abs / 60)}${rest ? `:${pad(rest)}` : ""}`;
}

/** Every offset the server takes on a quarter-hour grid, west to east, for a select. */
export function offsetChoices(): number[] {
  const choices: number[] = [];
  for (let m = WINDOW_LIMITS.utcOffsetMin; m <= WINDOW_LIMITS.utcOffsetMax; m += 15) choices.push(m);
  return choices;
}

/** A datetime-local value for `ms` in the browser's zone; seconds only when there are some. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const base = `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const s = d.getSeconds();
  const milli = d.getMilliseconds();
  if (!s && !milli) return base;
  return `${base}:${pad(s)}${milli ? `.${pad(milli, 3)}` : ""}`;
}

/** A datetime-local value as unix milliseconds, or undefined when it is not a real time. */
export function parseLocalInput(text: string): number | undefined {
  const m = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((x) => Number(x ?? "0")) as [number, number, number, number, number, number];
  // ".5" is half a second: 500 ms.
  const milli = Number((m[7] ?? "0").padEnd(3, "0"));
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const d = new Date(year, month - 1, day, hour, minute, second, milli);
  // Years below 100 would be read as 19xx.
  d.setFullYear(year, month - 1, day);
  // 31 Feb rolls over to March: not a date anyone meant.
  if (d.getMonth() !== month - 1 || d.getDate() !== day) return undefined;
  return d.getTime();
}

/** "HH:MM" as minutes after midnight, or undefined. */
export function parseTimeOfDay(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : undefined;
}

export function timeOfDay(minutes: number): string {
  return `${pad(Math.floor(minutes / 60) % 24)}:${pad(minutes % 60)}`;
}

/** Minutes as the largest units that say them exactly: "45 min", "1 h 30 min", "2 d". */
export function durationWords(minutes: number): string {
  const d = Math.floor(minutes / DAY_MINUTES);
  const h = Math.floor((minutes % DAY_MINUTES) / 60);
  const m = minutes % 60;
  const parts = [d && `${d} d`, h && `${h} h`, m && `${m} min`].filter(Boolean);
  return parts.length ? parts.join(" ") : "0 min";
}

/** The form for a new window (`w` undefined: open now for an hour, weekly at 02:00 for 1 h) or an existing one. */
export function windowForm(w?: MaintenanceWindow, now = Date.now()): WindowFormValues {
  const start = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const values: WindowFormValues = {
    id: 0n,
    name: "",
    kind: "once",
    start: toLocalInput(start),
    end: toLocalInput(start + 60 * MINUTE_MS),
    days: [],
    time: "02:00",
    duration: "1",
    durationUnit: "hours",
    utcOffsetMinutes: browserOffset(now),
    allMonitors: false,
    labels: [],
    monitorIds: [],
  };
  if (!w) return values;
  values.id = w.id;
  values.name = w.name;
  values.allMonitors = w.allMonitors;
  values.labels = Object.entries(w.labels).map(([key, value]) => ({ key, value }));
  values.monitorIds = [...w.monitorIds];
  const s = w.schedule;
  if (s.case === "once") {
    values.kind = "once";
    values.start = toLocalInput(Number(s.value.startUnixMs));
    values.end = toLocalInput(Number(s.value.endUnixMs));
  } else if (s.case === "weekly") {
    const minutes = s.value.durationMinutes;
    const unit: DurationUnit = minutes > 0 && minutes % DAY_MINUTES === 0 ? "days" : minutes > 0 && minutes % 60 === 0 ? "hours" : "minutes";
    values.kind = "weekly";
    values.days = [...new Set(s.value.days)].sort((a, b) => a - b);
    values.time = timeOfDay(s.value.startMinute);
    values.duration = String(minutes / DURATION_UNITS[unit]);
    values.durationUnit = unit;
    values.utcOffsetMinutes = s.value.utcOffsetMinutes;
  }
  return values;
}

/** The duration in minutes, or undefined when it is not a whole number of the unit. */
export function durationMinutes(v: Pick<WindowFormValues, "duration" | "durationUnit">): number | undefined {
  return /^\s*\d+\s*$/.test(v.duration) ? Number(v.duration) * DURATION_UNITS[v.durationUnit] : undefined;
}

/** Label rows that hold something, as sent. */
function filledLabels(v: WindowFormValues): Pair[] {
  return v.labels.filter((l) => l.key || l.value);
}

/** The window the form describes; `id` 0 for a new one. */
export function windowFromForm(v: WindowFormValues): MaintenanceWindow {
  const schedule =
    v.kind === "once"
      ? {
          case: "once" as const,
          value: { startUnixMs: BigInt(parseLocalInput(v.start) ?? 0), endUnixMs: BigInt(parseLocalInput(v.end) ?? 0) },
        }
      : {
          case: "weekly" as const,
          value: {
            days: [...new Set(v.days)].sort((a, b) => a - b),
            startMinute: parseTimeOfDay(v.time) ?? 0,
            durationMinutes: durationMinutes(v) ?? 0,
            utcOffsetMinutes: v.utcOffsetMinutes,
          },
        };
  return create(MaintenanceWindowSchema, {
    id: v.id,
    name: v.name.trim(),
    schedule,
    allMonitors: v.allMonitors,
    labels: Object.fromEntries(filledLabels(v).map((l) => [l.key.trim(), l.value])),
    monitorIds: [...new Set(v.monitorIds)],
  });
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The server's rules, keyed as the server keys them without "window.". Stricter in two
 * places the server would let through unnoticed: a label row needs a key, and a key may
 * appear once (the map would keep only one of the rows).
 */
export function validateWindow(v: WindowFormValues): FieldErrors {
  const errors: FieldErrors = {};
  const fail = (field: string, message: string) => {
    errors[field] ??= message;
  };
  if (!v.name.trim()) fail("name", "must not be empty");
  else if ([...v.name.trim()].length > WINDOW_LIMITS.nameChars || CONTROL.test(v.name))
    fail("name", `at most ${WINDOW_LIMITS.nameChars} characters, no control characters`);

  if (v.kind === "once") {
    const start = parseLocalInput(v.start);
    const end = parseLocalInput(v.end);
    if (start === undefined) fail("once.start", "a date and time");
    if (end === undefined) fail("once.end", "a date and time");
    else if (start !== undefined && end <= start) fail("once.end", "must be after the start");
  } else {
    if (v.days.length === 0 || v.days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) fail("weekly.days", "pick one or more days");
    if (parseTimeOfDay(v.time) === undefined) fail("weekly.start_minute", "a time of day, like 02:00");
    const minutes = durationMinutes(v);
    if (minutes === undefined) fail("weekly.duration_minutes", `a whole number of ${v.durationUnit}`);
    else if (minutes < 1 || minutes > WINDOW_LIMITS.durationMinutesMax) fail("weekly.duration_minutes", "1 minute to 7 days");
    const offset = v.utcOffsetMinutes;
    if (!Number.isInteger(offset) || offset < WINDOW_LIMITS.utcOffsetMin || offset > WINDOW_LIMITS.utcOffsetMax)
      fail("weekly.utc_offset_minutes", "UTC-12 to UTC+14");
  }

  const labels = filledLabels(v);
  if (labels.length > WINDOW_LIMITS.labels) fail("labels", `at most ${WINDOW_LIMITS.labels} labels`);
  const seen = new Set<string>();
  for (const l of labels) {
    const key = l.key.trim();
    if (!key) fail("labels.", "a label needs a key");
    else if (seen.has(key)) fail(`labels.${key}`, "appears twice");
    seen.add(key);
  }
  const monitors = new Set(v.monitorIds).size;
  if (monitors > WINDOW_LIMITS.monitors) fail("monitor_ids", `at most ${WINDOW_LIMITS.monitors} monitors`);
  if (!v.allMonitors && labels.length === 0 && monitors === 0) fail("monitor_ids", "cover some monitors: all, by labels, or listed");
  return errors;
}

/** Server violations ("window.weekly.days", "window.monitor_ids[2]") keyed as the form keys them. */
export function windowErrors(violations: { field: string; description: string }[]): FieldErrors {
  return violationErrors(violations, "window", (field) => field.replace(/^monitor_ids\[\d+\]$/, "monitor_ids"));
}

/** Whether the window is open at `ms` (pulsar-core `active_at`; [start, end) for a one-off). */
export function activeAt(w: MaintenanceWindow, ms: number): boolean {
  const s = w.schedule;
  if (s.case === "once") return Number(s.value.startUnixMs) <= ms && ms < Number(s.value.endUnixMs);
  if (s.case !== "weekly") return false;
  const mod = (a: number, b: number) => ((a % b) + b) % b;
  const local = ms + s.value.utcOffsetMinutes * MINUTE_MS;
  // Minutes since Monday 00:00 in the window's zone; 1970-01-01 was a Thursday.
  const minuteOfWeek = mod(Math.floor(local / MINUTE_MS) + 3 * DAY_MINUTES, WEEK_MINUTES);
  return s.value.days.some((day) => mod(minuteOfWeek - (day * DAY_MINUTES + s.value.startMinute), WEEK_MINUTES) < s.value.durationMinutes);
}

/** The ids of the windows open at `ms`, as one comparable key. */
export function openAt(windows: MaintenanceWindow[], ms: number): string {
  return windows
    .filter((w) => activeAt(w, ms))
    .map((w) => String(w.id))
    .join(",");
}

/** Whether a one-off window is over at `ms` (a weekly one never is). */
export function endedAt(w: MaintenanceWindow, ms: number): boolean {
  return w.schedule.case === "once" && Number(w.schedule.value.endUnixMs) <= ms;
}

/** "30 Nov 14:00", with the year when it is not `nowYear`'s. */
function localMoment(ms: number, nowYear: number, withDate = true): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (!withDate) return time;
  const year = d.getFullYear() === nowYear ? "" : ` ${d.getFullYear()}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]}${year} ${time}`;
}

/** "Mon, Wed", "Every day". */
export function daysWords(days: number[]): string {
  const unique = [...new Set(days)].filter((d) => d >= 0 && d <= 6).sort((a, b) => a - b);
  if (unique.length === 7) return "Every day";
  if (unique.length === 0) return "No day";
  return unique.map((d) => DAY_NAMES[d]).join(", ");
}

/**
 * The schedule in words: "Once, 30 Nov 14:00 → 16:00" (the browser's time; the end's date
 * when it is another day) or "Mon, Wed at 02:00 for 1 h (UTC+1)" (the window's own zone).
 */
export function describeSchedule(w: MaintenanceWindow, now = Date.now()): string {
  const s = w.schedule;
  if (s.case === "once") {
    const year = new Date(now).getFullYear();
    const start = Number(s.value.startUnixMs);
    const end = Number(s.value.endUnixMs);
    const sameDay = new Date(start).toDateString() === new Date(end).toDateString();
    return `Once, ${localMoment(start, year)} → ${localMoment(end, year, !sameDay)}`;
  }
  if (s.case === "weekly") {
    return `${daysWords(s.value.days)} at ${timeOfDay(s.value.startMinute)} for ${durationWords(s.value.durationMinutes)} (${offsetLabel(s.value.utcOffsetMinutes)})`;
  }
  return "No schedule";
}

/** Which monitors, in words: "all monitors", "env=prod", "3 monitors", joined with " + ". */
export function describeCoverage(w: MaintenanceWindow): string {
  if (w.allMonitors) return "all monitors";
  const parts: string[] = [];
  const labels = Object.entries(w.labels);
  if (labels.length) parts.push(labels.map(([k, v]) => `${k}=${v}`).join(", "));
  const n = w.monitorIds.length;
  if (n) parts.push(n === 1 ? "1 monitor" : `${n} monitors`);
  return parts.length ? parts.join(" + ") : "no monitor";
}
