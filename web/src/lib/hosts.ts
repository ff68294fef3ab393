// Host history as chart rows, from stored series points and from live snapshots alike, so
// a live sample extends the chart drawn from history. Pure and unit-tested.
import type { HostPoint } from "../gen/pulsar/v1/host_history_pb";
import type { HostSnapshot, StateCounts } from "../gen/pulsar/v1/host_pb";

/** The states the dashboard shows, in the order it shows them. */
export const TASK_STATES = ["running", "sleeping", "disk_sleep", "stopped", "zombie", "idle"] as const;
export type TaskStateName = (typeof TASK_STATES)[number];

export const TASK_STATE_LABELS: Record<TaskStateName, string> = {
  running: "Running",
  sleeping: "Sleeping",
  disk_sleep: "Disk sleep",
  stopped: "Stopped",
  zombie: "Zombie",
  idle: "Idle",
};

export interface HostRow {
  at: number;
  cpu?: number;
  load1?: number;
  memUsed?: number;
  memTotal?: number;
  swapUsed?: number;
  rx?: number;
  tx?: number;
  diskRead?: number;
  diskWrite?: number;
  /** "processes.running", "threads.zombie", ... */
  tasks: Partial<Record<string, number>>;
}

export function rowFromPoint(p: HostPoint): HostRow {
  const tasks: Record<string, number> = {};
  for (const [name, value] of Object.entries(p.named)) {
    if (name.startsWith("processes.") || name.startsWith("threads.")) tasks[name] = value;
  }
  return {
    at: Number(p.atUnixMs),
    cpu: p.cpuBusyPct,
    load1: p.load1,
    memUsed: p.memoryUsedBytes,
    memTotal: p.memoryTotalBytes,
    swapUsed: p.named.swap_used_bytes,
    rx: p.netRxBytesPerSec,
    tx: p.netTxBytesPerSec,
    diskRead: p.diskReadBytesPerSec,
    diskWrite: p.diskWriteBytesPerSec,
    tasks,
  };
}

function countsOf(prefix: string, counts: StateCounts | undefined, into: Record<string, number>) {
  if (!counts) return;
  into[`${prefix}.total`] = Number(counts.total);
  into[`${prefix}.running`] = Number(counts.running);
  into[`${prefix}.sleeping`] = Number(counts.sleeping);
  into[`${prefix}.disk_sleep`] = Number(counts.diskSleep);
  into[`${prefix}.stopped`] = Number(counts.stopped + counts.tracingStop);
  into[`${prefix}.zombie`] = Number(counts.zombie);
  into[`${prefix}.idle`] = Number(counts.idle);
}

/** The sum of the rates present; undefined when none is (a first sample). */
function total(values: (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length ? present.reduce((a, b) => a + b, 0) : undefined;
}

/** A live snapshot as a chart row; rates are absent on a first sample, and stay absent. */
export function rowFromSnapshot(s: HostSnapshot): HostRow {
  const external = s.networks.filter((n) => !n.loopback);
  const tasks: Record<string, number> = {};
  countsOf("processes", s.tasks?.processes, tasks);
  countsOf("threads", s.tasks?.threads, tasks);
  return {
    at: Number(s.takenAtUnixMs),
    cpu: s.cpu?.total?.busyPct,
    load1: s.cpu?.load1,
    memUsed: s.memory ? Number(s.memory.usedBytes) : undefined,
    memTotal: s.memory ? Number(s.memory.totalBytes) : undefined,
    swapUsed: s.memory ? Number(s.memory.swapUsedBytes) : undefined,
    rx: total(external.map((n) => n.rxBytesPerSec)),
    tx: total(external.map((n) => n.txBytesPerSec)),
    diskRead: total(s.disks.map((d) => d.readBytesPerSec)),
    diskWrite: total(s.disks.map((d) => d.writeBytesPerSec)),
    tasks,
  };
}

/** `rows` with the live `row` appended if newer, trimmed to rows after `sinceMs`. */
export function appendRow(rows: readonly HostRow[], row: HostRow, sinceMs: number): HostRow[] {
  const last = rows.at(-1);
  const kept = rows.filter((r) => r.at >= sinceMs);
  if (last && row.at <= last.at) return kept.length === rows.length ? (rows as HostRow[]) : kept;
  return [...kept, row];
}

/**
 * Whether a host stopped reporting: nothing for three sample intervals (at least 30 s, so
 * one slow sample does not flag it).
 */
export function isStale(lastSeenMs: number, nowMs: number, sampleIntervalMs: number): boolean {
  const allowed = Math.max(30_000, 3 * sampleIntervalMs);
  return nowMs - lastSeenMs > allowed;
}

/** Share of `part` in `whole` in percent; undefined when there is no whole. */
export function pct(part: number | bigint | undefined, whole: number | bigint | undefined): number | undefined {
  if (part === undefined || whole === undefined || Number(whole) === 0) return undefined;
  return (Number(part) / Number(whole)) * 100;
}
