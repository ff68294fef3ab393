// The overview's live state: the rows GetOverview answered, kept current by WebSocket
// events. Pure functions so "what the screen shows after these events" is unit-tested.
// A row an event does not touch keeps its identity, so memoized rows skip re-rendering.
import type { GetOverviewResponse, OverviewMonitor } from "../gen/pulsar/v1/api_pb";
import { Outcome, type CheckResult } from "../gen/pulsar/v1/check_pb";
import type { Event } from "../gen/pulsar/v1/events_pb";
import { MonitorState, type Monitor } from "../gen/pulsar/v1/monitor_pb";
import { usToMs } from "../lib/format";
import { stateKey, type StateKey } from "../lib/states";

/** As the server keeps them (pulsar-core overview.rs). */
export const STRIP_CHECKS = 90;
export const SPARKLINE_CHECKS = 60;

export interface OverviewRow {
  id: string;
  monitor: Monitor;
  /** The newest result, scheduled or manual. */
  latest: CheckResult | undefined;
  uptime24hPct: number | undefined;
  /** Total latency of recent scheduled checks in ms, oldest first; null where none finished. */
  recentTotalMs: (number | null)[];
  recentOutcomes: Outcome[];
  /**
   * The newest scheduled slot this row holds, so a late or repeated event is not counted
   * twice in the strip. 0 when unknown (the snapshot carries no slots).
   */
  lastSlotMs: number;
}

export interface OverviewState {
  /** By name, as the server sorts them. */
  rows: OverviewRow[];
  openIncidents: number;
}

export function rowFromOverview(m: OverviewMonitor): OverviewRow | undefined {
  if (!m.monitor) return undefined;
  const latest = m.latest;
  return {
    id: m.monitor.id,
    monitor: m.monitor,
    latest,
    uptime24hPct: m.uptime24hPct,
    recentTotalMs: m.recentTotalUs.map((us) => (us === 0n ? null : (usToMs(us) ?? null))),
    recentOutcomes: [...m.recentOutcomes],
    lastSlotMs: latest && !latest.manual ? Number(latest.slotUnixMs) : 0,
  };
}

/** Every page of GetOverview as one state. */
export function stateFromPages(pages: GetOverviewResponse[]): OverviewState {
  const rows = pages.flatMap((p) => p.monitors.map(rowFromOverview)).filter((r) => r !== undefined);
  return { rows, openIncidents: pages[0]?.openIncidents ?? 0 };
}

const byName = (a: OverviewRow, b: OverviewRow) =>
  a.monitor.name < b.monitor.name ? -1 : a.monitor.name > b.monitor.name ? 1 : 0;

/** Applies a batch of events in order; answers `state` itself when nothing changed. */
export function applyEvents(state: OverviewState, events: readonly Event[]): OverviewState {
  if (events.length === 0) return state;
  const index = new Map(state.rows.map((row, i) => [row.id, i]));
  let rows = state.rows;
  let copied = false;
  let resort = false;
  const writable = () => {
    if (!copied) {
      rows = rows.slice();
      copied = true;
    }
    return rows;
  };

  for (const event of events) {
    const kind = event.kind;
    switch (kind.case) {
      case "checkCompleted": {
        const result = kind.value.result;
        const i = result ? index.get(result.monitorId) : undefined;
        const row = i === undefined ? undefined : rows[i];
        if (!result || i === undefined || !row) break;
        const next = withResult(row, result);
        if (next !== row) writable()[i] = next;
        break;
      }
      case "monitorStateChanged": {
        const i = index.get(kind.value.monitorId);
        const row = i === undefined ? undefined : rows[i];
        if (i === undefined || !row || row.monitor.state === kind.value.to) break;
        writable()[i] = { ...row, monitor: { ...row.monitor, state: kind.value.to } };
        break;
      }
      case "monitorChanged": {
        const monitor = kind.value.monitor;
        if (!monitor) break;
        const i = index.get(monitor.id);
        if (kind.value.deleted) {
          if (i === undefined) break;
          rows = writable().filter((r) => r.id !== monitor.id);
          index.clear();
          rows.forEach((r, j) => index.set(r.id, j));
          break;
        }
        const row = i === undefined ? undefined : rows[i];
        if (i === undefined || !row) {
          writable().push(emptyRow(monitor));
          index.set(monitor.id, rows.length - 1);
          resort = true;
        } else {
          if (row.monitor.name !== monitor.name) resort = true;
          writable()[i] = { ...row, monitor };
        }
        break;
      }
      default:
        break;
    }
    if (resort) {
      rows = writable().sort(byName);
      index.clear();
      rows.forEach((r, j) => index.set(r.id, j));
      resort = false;
    }
  }
  return rows === state.rows ? state : { ...state, rows };
}

function emptyRow(monitor: Monitor): OverviewRow {
  return {
    id: monitor.id,
    monitor,
    latest: undefined,
    uptime24hPct: undefined,
    recentTotalMs: [],
    recentOutcomes: [],
    lastSlotMs: 0,
  };
}

/**
 * A row after `result`: any result becomes the latest; only a scheduled one newer than the
 * strip's last joins the strip and the sparkline (manual checks stay out of them, as on the
 * server).
 */
export function withResult(row: OverviewRow, result: CheckResult): OverviewRow {
  const slot = Number(result.slotUnixMs);
  const latestSlot = row.latest ? Number(row.latest.slotUnixMs) : 0;
  const latest = slot >= latestSlot ? result : row.latest;
  if (result.manual || slot <= row.lastSlotMs) {
    return latest === row.latest ? row : { ...row, latest };
  }
  // As the server draws it: any check with a total, failed or not; a gap where none.
  const total = usToMs(result.phases?.totalUs);
  return {
    ...row,
    latest,
    lastSlotMs: slot,
    recentOutcomes: [...row.recentOutcomes, result.outcome].slice(-STRIP_CHECKS),
    recentTotalMs: [...row.recentTotalMs, total ?? null].slice(-SPARKLINE_CHECKS),
  };
}

export type StateCounts = Record<StateKey, number>;

export function countStates(rows: readonly OverviewRow[]): StateCounts {
  const counts: StateCounts = { up: 0, degraded: 0, down: 0, paused: 0, unknown: 0 };
  for (const row of rows) counts[stateKey(row.monitor.state)] += 1;
  return counts;
}

export interface OverviewFilter {
  /** Empty: every state. */
  states: ReadonlySet<keyof StateCounts>;
  /** "key" or "key=value"; empty for any. */
  label: string;
  /** Matched case-insensitively against name and URL. */
  text: string;
}

export function filterRows(rows: readonly OverviewRow[], filter: OverviewFilter): OverviewRow[] {
  const text = filter.text.trim().toLowerCase();
  const [labelKey, labelValue] = splitLabel(filter.label);
  return rows.filter((row) => {
    if (filter.states.size > 0 && !filter.states.has(stateKey(row.monitor.state))) return false;
    if (labelKey) {
      const value = row.monitor.labels[labelKey];
      if (value === undefined || (labelValue !== undefined && value !== labelValue)) return false;
    }
    if (text) {
      const haystack = `${row.monitor.name}\n${row.monitor.url}`.toLowerCase();
      if (!haystack.includes(text)) return false;
    }
    return true;
  });
}

function splitLabel(label: string): [string, string | undefined] {
  const trimmed = label.trim();
  const eq = trimmed.indexOf("=");
  if (eq === -1) return [trimmed, undefined];
  return [trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim()];
}

/** Every "key=value" label in use, sorted, for the label filter's suggestions. */
export function labelsInUse(rows: readonly OverviewRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const [k, v] of Object.entries(row.monitor.labels)) seen.add(`${k}=${v}`);
  return [...seen].sort();
}

/**
 * Whether `events` mention a monitor the overview does not list: one created elsewhere (by
 * another tab, or config as code) whose change event this client did not see. The caller
 * refetches the overview then.
 */
export function mentionsUnknownMonitor(state: OverviewState, events: readonly Event[]): boolean {
  const known = new Set(state.rows.map((r) => r.id));
  return events.some((e) => {
    const id =
      e.kind.case === "checkCompleted"
        ? e.kind.value.result?.monitorId
        : e.kind.case === "monitorStateChanged"
          ? e.kind.value.monitorId
          : undefined;
    return id !== undefined && !known.has(id);
  });
}
