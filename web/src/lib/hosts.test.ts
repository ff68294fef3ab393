import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { HostPointSchema } from "../gen/pulsar/v1/host_history_pb";
import { HostSnapshotSchema } from "../gen/pulsar/v1/host_pb";
import { appendRow, isStale, pct, rowFromPoint, rowFromSnapshot } from "./hosts";

describe("chart rows", () => {
  it("reads stored points, task states included", () => {
    const row = rowFromPoint(
      create(HostPointSchema, {
        atUnixMs: 1000n,
        cpuBusyPct: 12.5,
        named: { "processes.zombie": 1, "threads.running": 4, swap_used_bytes: 2048, "mount:/:used_pct": 50 },
      }),
    );
    expect(row).toMatchObject({ at: 1000, cpu: 12.5, swapUsed: 2048, tasks: { "processes.zombie": 1, "threads.running": 4 } });
    expect(row.tasks["mount:/:used_pct"]).toBeUndefined();
  });

  it("turns a live snapshot into the same shape, summing non-loopback interfaces", () => {
    const row = rowFromSnapshot(
      create(HostSnapshotSchema, {
        takenAtUnixMs: 5000n,
        cpu: { total: { busyPct: 40 }, load1: 0.5 },
        memory: { usedBytes: 100n, totalBytes: 400n, swapUsedBytes: 0n },
        networks: [
          { interface: "lo", loopback: true, rxBytesPerSec: 1e9 },
          { interface: "eth0", rxBytesPerSec: 100, txBytesPerSec: 10 },
          { interface: "eth1", rxBytesPerSec: 50 },
        ],
        tasks: { processes: { total: 10n, running: 1n, sleeping: 8n, stopped: 1n, tracingStop: 1n, zombie: 0n } },
      }),
    );
    expect(row).toMatchObject({ at: 5000, cpu: 40, load1: 0.5, memUsed: 100, memTotal: 400, rx: 150, tx: 10 });
    expect(row.tasks["processes.stopped"]).toBe(2);
    expect(row.tasks["threads.total"]).toBeUndefined();
  });

  it("keeps rates of a first sample absent, not zero", () => {
    const row = rowFromSnapshot(create(HostSnapshotSchema, { networks: [{ interface: "eth0" }] }));
    expect(row.rx).toBeUndefined();
    expect(row.cpu).toBeUndefined();
  });

  it("appends only newer samples and drops ones out of the window", () => {
    const rows = [{ at: 1, tasks: {} }, { at: 2, tasks: {} }];
    expect(appendRow(rows, { at: 3, tasks: {} }, 2).map((r) => r.at)).toEqual([2, 3]);
    expect(appendRow(rows, { at: 2, tasks: {} }, 0)).toBe(rows);
  });
});

it("calls a host stale after three missed samples, never before 30 s", () => {
  expect(isStale(0, 29_000, 1000)).toBe(false);
  expect(isStale(0, 31_000, 1000)).toBe(true);
  expect(isStale(0, 31_000, 15_000)).toBe(false);
  expect(isStale(0, 46_000, 15_000)).toBe(true);
});

it("computes shares without dividing by zero", () => {
  expect(pct(1n, 4n)).toBe(25);
  expect(pct(1, 0)).toBeUndefined();
});
