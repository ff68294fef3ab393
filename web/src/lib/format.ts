// Formatting for people: every figure on screen goes through here so units and precision
// stay the same across screens. Missing values render as an em dash, never as 0.

export const MISSING = "—";

type Micros = bigint | number | undefined | null;

/** Microseconds (as protobuf-es gives uint64: a bigint) to milliseconds. */
export function usToMs(us: Micros): number | undefined {
  if (us === undefined || us === null) return undefined;
  return Number(us) / 1000;
}

/** A duration in milliseconds, with precision that shrinks as the value grows. */
export function formatMs(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return MISSING;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A phase duration given in microseconds. */
export function formatUs(us: Micros): string {
  return formatMs(usToMs(us));
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Bytes in binary units, one decimal from KiB up. */
export function formatBytes(bytes: bigint | number | undefined | null): string {
  if (bytes === undefined || bytes === null) return MISSING;
  let value = Number(bytes);
  if (!Number.isFinite(value) || value < 0) return MISSING;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** Bytes for a chart axis: short enough to stay on one line ("954 MiB", "1.4 GiB"). */
export function formatBytesAxis(bytes: number): string {
  const text = formatBytes(bytes);
  const [value, unit] = text.split(" ");
  const n = Number(value);
  return n >= 10 ? `${Math.round(n)} ${unit}` : text;
}

/** A rate in bytes per second; absent rates (first sample) stay absent. */
export function formatRate(bytesPerSec: number | undefined | null): string {
  if (bytesPerSec === undefined || bytesPerSec === null) return MISSING;
  return `${formatBytes(bytesPerSec)}/s`;
}

/**
 * A percentage. Uptime needs two decimals (99.95 % and 100 % are different promises), but a
 * value that rounds to 100 without being 100 must not claim a perfect record.
 */
export function formatPct(pct: number | undefined | null, digits = 2): string {
  if (pct === undefined || pct === null || !Number.isFinite(pct)) return MISSING;
  if (pct >= 100) return "100%";
  const text = pct.toFixed(digits);
  if (Number(text) >= 100) return `${(100 - 10 ** -digits).toFixed(digits)}%`;
  return `${text}%`;
}

/** How long ago `thenMs` was, from `nowMs`. */
export function formatAgo(thenMs: number | bigint | undefined, nowMs: number): string {
  if (thenMs === undefined) return MISSING;
  const then = Number(thenMs);
  if (then <= 0) return "never";
  const seconds = Math.round((nowMs - then) / 1000);
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A span of seconds as the largest two units: "3 d 4 h", "12 min", "45 s". */
export function formatSpan(totalSeconds: number | bigint): string {
  let s = Math.max(0, Math.floor(Number(totalSeconds)));
  const days = Math.floor(s / 86_400);
  s -= days * 86_400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  const parts: [number, string][] = [
    [days, "d"],
    [hours, "h"],
    [minutes, "min"],
    [s, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return "0 s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(" ");
}

/** A window length in seconds as its short name: 3600 → "1h", 604800 → "7d". */
export function formatWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Whole days from `nowMs` until `untilMs`; negative once it passed. */
export function daysLeft(untilMs: number | bigint, nowMs: number): number {
  return Math.floor((Number(untilMs) - nowMs) / 86_400_000);
}

/** A local date and time, to the second. */
export function formatDateTime(ms: number | bigint | undefined): string {
  if (ms === undefined || Number(ms) <= 0) return MISSING;
  const d = new Date(Number(ms));
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A local time of day, for chart axes. */
export function formatClock(ms: number, withDate = false): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withDate ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
}

/** A count with thousands separators. */
export function formatCount(n: number | bigint | undefined): string {
  if (n === undefined) return MISSING;
  return Number(n).toLocaleString("en-US");
}

/** An enum value name such as FAILURE_KIND_CONNECT_REFUSED as words: "connect refused". */
export function enumWords(name: string | undefined, prefix: string): string {
  if (!name) return "";
  return name.replace(prefix, "").toLowerCase().replaceAll("_", " ");
}
