import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { OverviewMonitorSchema } from "../gen/pulsar/v1/api_pb";
import { CheckResultSchema, Outcome, PhasesSchema } from "../gen/pulsar/v1/check_pb";
import { EventSchema, type Event } from "../gen/pulsar/v1/events_pb";
import { MonitorSchema, MonitorState } from "../gen/pulsar/v1/monitor_pb";
import {
  STRIP_CHECKS,
  applyEvents,
  countStates,
  filterRows,
  labelsInUse,
  mentionsUnknownMonitor,
  rowFromOverview,
  type OverviewRow,
  type OverviewState,
} from "./overview";

const monitor = (id: string, name: string, extra: MessageInitShape<typeof MonitorSchema> = {}) =>
  create(MonitorSchema, { id, name, url: `https://${name}.example/`, state: MonitorState.UP, ...extra });

const row = (id: string, name: string, extra = {}): OverviewRow => {
  const r = rowFromOverview(create(OverviewMonitorSchema, { monitor: monitor(id, name, extra) }));
  if (!r) throw new Error("no row");
  return r;
};

const state = (...rows: OverviewRow[]): OverviewState => ({ rows, openIncidents: 0 });

const check = (monitorId: string, slot: number, outcome = Outcome.UP, totalUs = 5000, manual = false): Event =>
  create(EventSchema, {
    kind: {
      case: "checkCompleted",
      value: {
        result: create(CheckResultSchema, {
          monitorId,
          slotUnixMs: BigInt(slot),
          outcome,
          manual,
          phases: create(PhasesSchema, { totalUs: BigInt(totalUs) }),
        }),
      },
    },
  });

describe("snapshot rows", () => {
  it("turns unfinished checks (0 µs) into gaps, not zero latency", () => {
    const r = rowFromOverview(
      create(OverviewMonitorSchema, {
        monitor: monitor("a", "a"),
        recentTotalUs: [1500n, 0n],
        recentOutcomes: [Outcome.UP, Outcome.DOWN],
        latest: create(CheckResultSchema, { slotUnixMs: 60_000n }),
      }),
    );
    expect(r?.recentTotalMs).toEqual([1.5, null]);
    expect(r?.lastSlotMs).toBe(60_000);
  });
});

describe("applyEvents", () => {
  it("adds a completed check to its row only, keeping the other rows as they were", () => {
    const before = state(row("a", "alpha"), row("b", "beta"));
    const after = applyEvents(before, [check("a", 1000, Outcome.UP, 12_000)]);
    expect(after.rows[0]?.recentOutcomes).toEqual([Outcome.UP]);
    expect(after.rows[0]?.recentTotalMs).toEqual([12]);
    expect(after.rows[0]?.latest?.slotUnixMs).toBe(1000n);
    expect(after.rows[1]).toBe(before.rows[1]);
  });

  it("draws a check that never finished as a gap in the sparkline", () => {
    const unfinished = check("a", 1000, Outcome.DOWN);
    if (unfinished.kind.case === "checkCompleted" && unfinished.kind.value.result) unfinished.kind.value.result.phases = undefined;
    const after = applyEvents(state(row("a", "alpha")), [unfinished]);
    expect(after.rows[0]?.recentTotalMs).toEqual([null]);
    expect(after.rows[0]?.recentOutcomes).toEqual([Outcome.DOWN]);
  });

  it("counts a repeated or late slot once", () => {
    const after = applyEvents(state(row("a", "alpha")), [check("a", 2000), check("a", 2000), check("a", 1000)]);
    expect(after.rows[0]?.recentOutcomes).toHaveLength(1);
  });

  it("shows a manual check as the latest but keeps it out of the strip", () => {
    const after = applyEvents(state(row("a", "alpha")), [check("a", 1000), check("a", 1500, Outcome.DOWN, 1, true)]);
    expect(after.rows[0]?.recentOutcomes).toEqual([Outcome.UP]);
    expect(after.rows[0]?.latest?.manual).toBe(true);
  });

  it("keeps the strip at 90 checks", () => {
    const events = Array.from({ length: STRIP_CHECKS + 10 }, (_, i) => check("a", (i + 1) * 1000));
    const after = applyEvents(state(row("a", "alpha")), events);
    expect(after.rows[0]?.recentOutcomes).toHaveLength(STRIP_CHECKS);
    expect(after.rows[0]?.recentTotalMs).toHaveLength(60);
  });

  it("moves a monitor to its new state", () => {
    const event = create(EventSchema, {
      kind: { case: "monitorStateChanged", value: { monitorId: "b", from: MonitorState.UP, to: MonitorState.DOWN } },
    });
    const after = applyEvents(state(row("a", "alpha"), row("b", "beta")), [event]);
    expect(after.rows[1]?.monitor.state).toBe(MonitorState.DOWN);
    expect(countStates(after.rows)).toEqual({ up: 1, degraded: 0, down: 1, paused: 0, unknown: 0 });
  });

  it("adds, renames and deletes monitors, keeping the list by name", () => {
    const changed = (m: ReturnType<typeof monitor>, deleted = false) =>
      create(EventSchema, { kind: { case: "monitorChanged", value: { monitor: m, deleted } } });
    let s = state(row("a", "alpha"), row("c", "charlie"));
    s = applyEvents(s, [changed(monitor("b", "bravo"))]);
    expect(s.rows.map((r) => r.monitor.name)).toEqual(["alpha", "bravo", "charlie"]);
    s = applyEvents(s, [changed(monitor("a", "zulu")), check("a", 5000)]);
    expect(s.rows.map((r) => r.monitor.name)).toEqual(["bravo", "charlie", "zulu"]);
    expect(s.rows[2]?.recentOutcomes).toEqual([Outcome.UP]);
    s = applyEvents(s, [changed(monitor("c", "charlie"), true), check("b", 1000)]);
    expect(s.rows.map((r) => r.id)).toEqual(["b", "a"]);
    expect(s.rows[0]?.recentOutcomes).toHaveLength(1);
  });

  it("ignores events about monitors it does not show and answers the same state", () => {
    const before = state(row("a", "alpha"));
    expect(applyEvents(before, [check("zzz", 1)])).toBe(before);
    expect(applyEvents(before, [])).toBe(before);
  });
});

describe("filters", () => {
  const rows = [
    row("a", "api", { labels: { env: "prod", team: "core" } }),
    row("b", "blog", { labels: { env: "staging" }, state: MonitorState.DOWN }),
    row("c", "cdn", { state: MonitorState.PAUSED, url: "https://static.example/" }),
  ];
  const none = new Set<never>();

  it("filters by state, label and text together", () => {
    expect(filterRows(rows, { states: new Set(["down", "paused"]), label: "", text: "" }).map((r) => r.id)).toEqual(["b", "c"]);
    expect(filterRows(rows, { states: none, label: "env", text: "" }).map((r) => r.id)).toEqual(["a", "b"]);
    expect(filterRows(rows, { states: none, label: "env=prod", text: "" }).map((r) => r.id)).toEqual(["a"]);
    expect(filterRows(rows, { states: none, label: "", text: "STATIC" }).map((r) => r.id)).toEqual(["c"]);
    expect(filterRows(rows, { states: new Set(["up"]), label: "env=staging", text: "" })).toEqual([]);
  });

  it("offers the labels in use", () => {
    expect(labelsInUse(rows)).toEqual(["env=prod", "env=staging", "team=core"]);
  });
});

it("notices checks of a monitor it does not list", () => {
  const s = state(row("a", "alpha"));
  expect(mentionsUnknownMonitor(s, [check("a", 1)])).toBe(false);
  expect(mentionsUnknownMonitor(s, [check("a", 1), check("new", 1)])).toBe(true);
});
