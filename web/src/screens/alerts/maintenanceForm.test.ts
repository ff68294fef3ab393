// One-off windows are typed and shown in the browser's zone: these tests pin one that has
// an offset and summer time, so they read the same on every machine.
declare const process: { env: Record<string, string | undefined> };
process.env.TZ = "Europe/Berlin";

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { MaintenanceWindowSchema } from "../../gen/pulsar/v1/maintenance_pb";
import {
  activeAt,
  browserOffset,
  describeCoverage,
  describeSchedule,
  durationWords,
  endedAt,
  offsetChoices,
  offsetLabel,
  openAt,
  parseLocalInput,
  toLocalInput,
  validateWindow,
  windowErrors,
  windowForm,
  windowFromForm,
  type WindowFormValues,
} from "./maintenanceForm";

type Patch = MessageInitShape<typeof MaintenanceWindowSchema>;

/** Monday 2026-11-30 00:00 UTC (pulsar-core maintenance.rs tests). */
const MONDAY_MS = 1_795_996_800_000;
const at = (day: number, hour: number, minute: number) => MONDAY_MS + ((day * 24 + hour) * 60 + minute) * 60_000;

function weekly(days: number[], startMinute: number, durationMinutes: number, utcOffsetMinutes: number, patch: Patch = {}) {
  return create(MaintenanceWindowSchema, {
    id: 1n,
    name: "nightly",
    allMonitors: true,
    schedule: { case: "weekly", value: { days, startMinute, durationMinutes, utcOffsetMinutes } },
    ...patch,
  });
}

function once(start: number, end: number, patch: Patch = {}) {
  return create(MaintenanceWindowSchema, {
    id: 2n,
    name: "upgrade",
    schedule: { case: "once", value: { startUnixMs: BigInt(start), endUnixMs: BigInt(end) } },
    monitorIds: ["m1"],
    ...patch,
  });
}

/** A valid new window's form at the reference Monday, with `patch`. */
const form = (patch: Partial<WindowFormValues> = {}): WindowFormValues => ({ ...windowForm(undefined, at(0, 9, 30)), name: "upgrade", allMonitors: true, ...patch });
const fields = (patch: Partial<WindowFormValues>) => Object.keys(validateWindow(form(patch)));

describe("when a window is open (as pulsar-core active_at)", () => {
  it("the reference Monday is a Monday", () => {
    expect(new Date(MONDAY_MS).toISOString()).toBe("2026-11-30T00:00:00.000Z");
    expect(new Date(MONDAY_MS).getUTCDay()).toBe(1);
  });

  it("a weekly window opens on its days and may run past midnight", () => {
    // Sundays 23:00 for 2 hours: into Monday 01:00.
    const w = weekly([6], 23 * 60, 120, 0);
    expect(activeAt(w, at(6, 22, 59))).toBe(false);
    expect(activeAt(w, at(6, 23, 0))).toBe(true);
    expect(activeAt(w, at(7, 0, 59))).toBe(true);
    expect(activeAt(w, at(7, 1, 0))).toBe(false);
    expect(activeAt(w, at(2, 23, 30))).toBe(false);
    // And a week earlier: Monday 00:30 after the Sunday before.
    expect(activeAt(w, at(0, 0, 30))).toBe(true);
  });

  it("a weekly window keeps to its time zone", () => {
    // Mondays 02:00 for an hour at UTC+2 is Monday 00:00..01:00 UTC.
    const w = weekly([0], 2 * 60, 60, 120);
    expect(activeAt(w, at(0, 0, 30))).toBe(true);
    expect(activeAt(w, at(0, 2, 30))).toBe(false);
    // West of UTC: Mondays 22:00 at UTC-5 is Tuesday 03:00 UTC.
    const west = weekly([0], 22 * 60, 30, -300);
    expect(activeAt(west, at(1, 3, 10))).toBe(true);
    expect(activeAt(west, at(0, 22, 10))).toBe(false);
  });

  it("a one-off window is half open", () => {
    const w = once(at(1, 10, 0), at(1, 11, 0));
    expect(activeAt(w, at(1, 9, 59))).toBe(false);
    expect(activeAt(w, at(1, 10, 0))).toBe(true);
    expect(activeAt(w, at(1, 11, 0))).toBe(false);
    expect(endedAt(w, at(1, 10, 30))).toBe(false);
    expect(endedAt(w, at(1, 11, 0))).toBe(true);
    expect(endedAt(weekly([0], 0, 1, 0), at(9, 0, 0))).toBe(false);
  });

  it("answers the open ones as one key, so a change of it is noticed", () => {
    const windows = [once(at(1, 10, 0), at(1, 11, 0)), weekly([1], 10 * 60 + 30, 60, 0, { id: 9n })];
    expect(openAt(windows, at(1, 9, 0))).toBe("");
    expect(openAt(windows, at(1, 10, 45))).toBe("2,9");
    expect(openAt(windows, at(1, 11, 15))).toBe("9");
  });
});

describe("in words", () => {
  it("a one-off window in the browser's time, the end's date only when it is another day", () => {
    // 13:00..15:00 UTC is 14:00..16:00 in Berlin (UTC+1 in November).
    expect(describeSchedule(once(at(0, 13, 0), at(0, 15, 0)), at(0, 0, 0))).toBe("Once, 30 Nov 14:00 → 16:00");
    expect(describeSchedule(once(at(0, 22, 0), at(1, 1, 0)), at(0, 0, 0))).toBe("Once, 30 Nov 23:00 → 1 Dec 02:00");
    // Another year says so.
    expect(describeSchedule(once(at(35, 10, 0), at(35, 11, 0)), at(0, 0, 0))).toBe("Once, 4 Jan 2027 11:00 → 12:00");
  });

  it("a weekly window in its own zone", () => {
    expect(describeSchedule(weekly([2, 0], 120, 60, 60))).toBe("Mon, Wed at 02:00 for 1 h (UTC+1)");
    expect(describeSchedule(weekly([0, 1, 2, 3, 4, 5, 6], 23 * 60 + 30, 90, 0))).toBe("Every day at 23:30 for 1 h 30 min (UTC)");
    expect(describeSchedule(weekly([6], 0, 2 * 1440, 330))).toBe("Sun at 00:00 for 2 d (UTC+5:30)");
    expect(describeSchedule(weekly([4], 45, 25, -180))).toBe("Fri at 00:45 for 25 min (UTC-3)");
  });

  it("offsets and durations", () => {
    expect([0, 60, -300, 345, -570].map(offsetLabel)).toEqual(["UTC", "UTC+1", "UTC-5", "UTC+5:45", "UTC-9:30"]);
    expect([1, 59, 60, 61, 1440, 1500, 10_080].map(durationWords)).toEqual(["1 min", "59 min", "1 h", "1 h 1 min", "1 d", "1 d 1 h", "7 d"]);
    const choices = offsetChoices();
    expect(choices[0]).toBe(-720);
    expect(choices.at(-1)).toBe(840);
    expect(choices).toContain(0);
    expect(choices).toContain(345);
  });

  it("which monitors", () => {
    expect(describeCoverage(weekly([0], 0, 1, 0, { labels: { env: "prod" } }))).toBe("all monitors");
    expect(describeCoverage(once(0, 1, { monitorIds: ["a", "b", "c"] }))).toBe("3 monitors");
    expect(describeCoverage(once(0, 1, { labels: { env: "prod", tier: "db" } }))).toBe("env=prod, tier=db + 1 monitor");
    expect(describeCoverage(once(0, 1, { monitorIds: [] }))).toBe("no monitor");
  });
});

describe("the form", () => {
  it("a new window starts now, for an hour, in the browser's time; weekly at 02:00 for 1 h in its offset", () => {
    const v = windowForm(undefined, at(0, 9, 30) + 12_345);
    expect(v).toMatchObject({ kind: "once", start: "2026-11-30T10:30", end: "2026-11-30T11:30", days: [], time: "02:00", duration: "1", durationUnit: "hours", allMonitors: false });
    expect(v.utcOffsetMinutes).toBe(60);
    // Summer time is the offset then.
    expect(browserOffset(Date.UTC(2026, 6, 1))).toBe(120);
    expect(windowFromForm(v).schedule).toEqual({ case: "once", value: expect.objectContaining({ startUnixMs: BigInt(at(0, 9, 30)), endUnixMs: BigInt(at(0, 10, 30)) }) });
  });

  it("local date and time inputs, exact to the millisecond and refusing dates that do not exist", () => {
    expect(toLocalInput(at(0, 13, 0))).toBe("2026-11-30T14:00");
    expect(toLocalInput(at(0, 13, 0) + 5_250)).toBe("2026-11-30T14:00:05.250");
    for (const ms of [at(0, 13, 0), at(0, 13, 0) + 5_000, at(0, 13, 0) + 5_250, Date.UTC(2026, 6, 1, 22, 15)]) {
      expect(parseLocalInput(toLocalInput(ms))).toBe(ms);
    }
    expect(parseLocalInput("2026-11-30T14:00:05.5")).toBe(at(0, 13, 0) + 5_500);
    for (const bad of ["", "2026-02-30T10:00", "2026-11-30T24:00", "2026-11-30 14:00", "tomorrow"]) expect(parseLocalInput(bad), bad).toBeUndefined();
  });

  it("round-trips a weekly window, choosing the largest unit that says the duration exactly", () => {
    const w = weekly([4, 0, 4], 90, 45, -300, { id: 3n, allMonitors: false, labels: { env: "prod" }, monitorIds: ["m1", "m2"] });
    const v = windowForm(w);
    expect(v).toMatchObject({ kind: "weekly", days: [0, 4], time: "01:30", duration: "45", durationUnit: "minutes", utcOffsetMinutes: -300 });
    const back = windowFromForm(v);
    expect(back.id).toBe(3n);
    expect(back.schedule).toEqual({ case: "weekly", value: expect.objectContaining({ days: [0, 4], startMinute: 90, durationMinutes: 45, utcOffsetMinutes: -300 }) });
    expect(back.labels).toEqual({ env: "prod" });
    expect(back.monitorIds).toEqual(["m1", "m2"]);
    expect(windowForm(weekly([0], 0, 120, 0))).toMatchObject({ duration: "2", durationUnit: "hours" });
    expect(windowForm(weekly([0], 0, 2880, 0))).toMatchObject({ duration: "2", durationUnit: "days" });
  });

  it("round-trips a one-off window exactly, seconds included", () => {
    const w = once(at(1, 10, 0) + 30_000, at(1, 12, 0));
    const back = windowFromForm(windowForm(w));
    expect(back.schedule).toEqual({ case: "once", value: expect.objectContaining({ startUnixMs: BigInt(at(1, 10, 0) + 30_000), endUnixMs: BigInt(at(1, 12, 0)) }) });
    expect(back.monitorIds).toEqual(["m1"]);
    expect(back.allMonitors).toBe(false);
  });

  it("sends the name trimmed and only label rows that hold something", () => {
    const w = windowFromForm(form({ name: "  upgrade  ", labels: [{ key: " env ", value: "prod" }, { key: "", value: "" }] }));
    expect(w.name).toBe("upgrade");
    expect(w.labels).toEqual({ env: "prod" });
  });
});

describe("checks as the server does (maintenance.rs validate)", () => {
  it("accepts a sound window of each kind", () => {
    expect(validateWindow(form())).toEqual({});
    expect(validateWindow(form({ kind: "weekly", days: [0, 2] }))).toEqual({});
  });

  it("names each broken field of a weekly window, in the server's order", () => {
    const v = form({ kind: "weekly", name: "", days: [], time: "", duration: "0", utcOffsetMinutes: 900, allMonitors: false });
    expect(Object.keys(validateWindow(v))).toEqual(["name", "weekly.days", "weekly.start_minute", "weekly.duration_minutes", "weekly.utc_offset_minutes", "monitor_ids"]);
    expect(validateWindow(v)["monitor_ids"]).toBe("cover some monitors: all, by labels, or listed");
  });

  it("a duration from 1 minute to 7 days, in whole units", () => {
    const weeklyForm = (duration: string, durationUnit: WindowFormValues["durationUnit"]) => fields({ kind: "weekly", days: [0], duration, durationUnit });
    expect(weeklyForm("7", "days")).toEqual([]);
    expect(weeklyForm("10080", "minutes")).toEqual([]);
    expect(weeklyForm("1", "minutes")).toEqual([]);
    expect(weeklyForm("8", "days")).toEqual(["weekly.duration_minutes"]);
    expect(weeklyForm("169", "hours")).toEqual(["weekly.duration_minutes"]);
    expect(weeklyForm("1.5", "hours")).toEqual(["weekly.duration_minutes"]);
    expect(validateWindow(form({ kind: "weekly", days: [0], duration: "", durationUnit: "hours" }))["weekly.duration_minutes"]).toBe("a whole number of hours");
  });

  it("the offset within UTC-12..UTC+14, the time a time of day", () => {
    expect(fields({ kind: "weekly", days: [0], utcOffsetMinutes: -720 })).toEqual([]);
    expect(fields({ kind: "weekly", days: [0], utcOffsetMinutes: 840 })).toEqual([]);
    expect(fields({ kind: "weekly", days: [0], utcOffsetMinutes: -721 })).toEqual(["weekly.utc_offset_minutes"]);
    expect(fields({ kind: "weekly", days: [0], time: "24:00" })).toEqual(["weekly.start_minute"]);
    expect(fields({ kind: "weekly", days: [0], time: "23:59" })).toEqual([]);
  });

  it("a one-off window ends after it starts", () => {
    expect(validateWindow(form({ start: "2026-11-30T16:00", end: "2026-11-30T14:00" }))).toEqual({ "once.end": "must be after the start" });
    expect(fields({ start: "2026-11-30T16:00", end: "2026-11-30T16:00" })).toEqual(["once.end"]);
    expect(fields({ start: "", end: "" })).toEqual(["once.start", "once.end"]);
    // The weekly fields do not matter then.
    expect(fields({ days: [], time: "" })).toEqual([]);
  });

  it("the name: characters, not bytes, and no control characters", () => {
    expect(fields({ name: "é".repeat(200) })).toEqual([]);
    expect(fields({ name: "é".repeat(201) })).toEqual(["name"]);
    expect(fields({ name: "a\u0007b" })).toEqual(["name"]);
  });

  it("covers something: all, labels or listed monitors; labels with keys, once each", () => {
    expect(fields({ allMonitors: false, labels: [{ key: "env", value: "prod" }] })).toEqual([]);
    expect(fields({ allMonitors: false, monitorIds: ["m1"] })).toEqual([]);
    expect(fields({ allMonitors: false, labels: [{ key: "", value: "" }] })).toEqual(["monitor_ids"]);
    expect(fields({ labels: [{ key: "", value: "prod" }] })).toEqual(["labels."]);
    expect(fields({ labels: [{ key: "env", value: "a" }, { key: "env ", value: "b" }] })).toEqual(["labels.env"]);
    const many = Array.from({ length: 33 }, (_, i) => ({ key: `k${i}`, value: "v" }));
    expect(fields({ labels: many })).toEqual(["labels"]);
  });
});

describe("server violations", () => {
  it("land under the form's keys", () => {
    expect(
      windowErrors([
        { field: "window.weekly.days", description: "one or more of 0 (Monday) .. 6 (Sunday)" },
        { field: "window.monitor_ids[2]", description: "not a monitor id" },
        { field: "window.schedule", description: "give either once or weekly" },
        { field: "window.once.end", description: "must be after the start" },
        { field: "window.once.end", description: "second" },
        { field: "", description: "whole" },
      ]),
    ).toEqual({
      "weekly.days": "one or more of 0 (Monday) .. 6 (Sunday)",
      monitor_ids: "not a monitor id",
      schedule: "give either once or weekly",
      "once.end": "must be after the start",
      window: "whole",
    });
  });
});
