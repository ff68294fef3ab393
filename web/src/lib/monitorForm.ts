// The monitor form's model: what the inputs hold (strings, as inputs do), how it maps to
// and from the proto Monitor, and the same rules the server applies (pulsar-core
// validate.rs), reported under the same field paths so server violations land beside the
// same inputs as client ones.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { BodyAssertionKind, MonitorSchema, type Monitor } from "../gen/pulsar/v1/monitor_pb";
import { violationErrors } from "../api/errors";

export const LIMITS = {
  nameChars: 200,
  urlBytes: 2048,
  methodBytes: 16,
  headers: 50,
  headerNameBytes: 256,
  headerValueBytes: 8192,
  bodyBytes: 64 * 1024,
  statusRanges: 20,
  patternBytes: 1024,
  tlsCaPemBytes: 64 * 1024,
  labels: 32,
  labelKeyBytes: 64,
  labelValueBytes: 256,
  maxRedirects: 30,
  thresholdMax: 100,
  certExpiryDays: 10,
  certExpiryDayMax: 365,
  /** A monitor's own reminders: 1 minute to 7 days apart. */
  remindEveryMinutesMax: 7 * 24 * 60,
  minIntervalSeconds: 1,
  maxIntervalSeconds: 86_400,
  minTimeoutMs: 100,
} as const;

/** The server's defaults for fields left at 0 or unset (monitor.proto). */
export const DEFAULTS = {
  intervalSeconds: 60,
  timeoutMs: 10_000,
  maxRedirects: 10,
  failureThreshold: 3,
  recoveryThreshold: 2,
  /** Days before a certificate expires to warn, when the monitor does not say. */
  certExpiryDays: [14, 7, 1],
} as const;

export interface Pair {
  key: string;
  value: string;
}

export interface MonitorFormValues {
  name: string;
  url: string;
  method: string;
  headers: Pair[];
  body: string;
  intervalSeconds: string;
  timeoutMs: string;
  /** "200-299, 301" */
  expectedStatus: string;
  assertionKind: BodyAssertionKind;
  assertionPattern: string;
  followRedirects: boolean;
  maxRedirects: string;
  skipTlsVerify: boolean;
  tlsCaPem: string;
  /** Empty turns the rule off. */
  degradedAboveMs: string;
  failureThreshold: string;
  recoveryThreshold: string;
  enabled: boolean;
  labels: Pair[];
  /** "14, 7, 1": days before the TLS certificate expires to warn; empty: never. */
  certExpiryDays: string;
  /** Minutes between reminders while down, for every channel; empty: each channel's own. */
  remindEveryMinutes: string;
}

export function emptyForm(): MonitorFormValues {
  return {
    name: "",
    url: "https://",
    method: "GET",
    headers: [],
    body: "",
    intervalSeconds: String(DEFAULTS.intervalSeconds),
    timeoutMs: String(DEFAULTS.timeoutMs),
    expectedStatus: "200-399",
    assertionKind: BodyAssertionKind.UNSPECIFIED,
    assertionPattern: "",
    followRedirects: true,
    maxRedirects: String(DEFAULTS.maxRedirects),
    skipTlsVerify: false,
    tlsCaPem: "",
    degradedAboveMs: "",
    failureThreshold: String(DEFAULTS.failureThreshold),
    recoveryThreshold: String(DEFAULTS.recoveryThreshold),
    enabled: true,
    labels: [],
    certExpiryDays: DEFAULTS.certExpiryDays.join(", "),
    remindEveryMinutes: "",
  };
}

const orDefault = (n: number, fallback: number) => String(n === 0 ? fallback : n);

export function formFromMonitor(m: Monitor): MonitorFormValues {
  return {
    name: m.name,
    url: m.url,
    method: m.method || "GET",
    headers: m.headers.map((h) => ({ key: h.name, value: h.value })),
    body: m.body,
    intervalSeconds: orDefault(m.intervalSeconds, DEFAULTS.intervalSeconds),
    timeoutMs: orDefault(m.timeoutMs, DEFAULTS.timeoutMs),
    expectedStatus:
      m.expectedStatus.length === 0
        ? "200-399"
        : m.expectedStatus.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(", "),
    assertionKind: m.bodyAssertion?.kind ?? BodyAssertionKind.UNSPECIFIED,
    assertionPattern: m.bodyAssertion?.pattern ?? "",
    followRedirects: m.followRedirects ?? true,
    maxRedirects: orDefault(m.maxRedirects, DEFAULTS.maxRedirects),
    skipTlsVerify: m.skipTlsVerify,
    tlsCaPem: m.tlsCaPem,
    degradedAboveMs: m.degradedAboveMs === 0 ? "" : String(m.degradedAboveMs),
    failureThreshold: orDefault(m.failureThreshold, DEFAULTS.failureThreshold),
    recoveryThreshold: orDefault(m.recoveryThreshold, DEFAULTS.recoveryThreshold),
    enabled: m.enabled ?? true,
    labels: Object.entries(m.labels).map(([key, value]) => ({ key, value })),
    // Unset is the server's default; set and empty is "never".
    certExpiryDays: (m.certExpiry ? m.certExpiry.days : DEFAULTS.certExpiryDays).join(", "),
    // Whole minutes, as the form sets it; a file may have set seconds, shown rounded up.
    remindEveryMinutes: m.remindEverySeconds === 0 ? "" : String(Math.ceil(m.remindEverySeconds / 60)),
  };
}

/** "14, 7 1" as days, largest first, once each (as the server keeps them); the reason when it cannot be read. */
export function parseCertExpiryDays(text: string): { days: number[] } | { error: string } {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const bad = parts.find((p) => !/^\d+$/.test(p));
  if (bad !== undefined) return { error: `"${bad}" is not a whole number of days` };
  return { days: [...new Set(parts.map(Number))].sort((a, b) => b - a) };
}

/** "200-299, 301" as ranges; `undefined` with the reason when it cannot be read. */
export function parseStatusRanges(text: string): { ranges: { min: number; max: number }[] } | { error: string } {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const ranges: { min: number; max: number }[] = [];
  for (const part of parts) {
    const match = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(part);
    if (!match) return { error: `"${part}" is not a status code or a range like 200-299` };
    const min = Number(match[1]);
    ranges.push({ min, max: match[2] === undefined ? min : Number(match[2]) });
  }
  return { ranges };
}

const int = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN);

/** The monitor the form describes; `id` set for an update (a full replace on the server). */
export function monitorFromForm(v: MonitorFormValues, id = ""): Monitor {
  const parsed = parseStatusRanges(v.expectedStatus);
  const certParsed = parseCertExpiryDays(v.certExpiryDays);
  const certDays = "days" in certParsed ? certParsed : { days: [] };
  const init: MessageInitShape<typeof MonitorSchema> = {
    id,
    name: v.name.trim(),
    url: v.url.trim(),
    method: v.method.trim().toUpperCase(),
    headers: v.headers.filter((h) => h.key || h.value).map((h) => ({ name: h.key.trim(), value: h.value })),
    body: v.body,
    intervalSeconds: int(v.intervalSeconds) || 0,
    timeoutMs: int(v.timeoutMs) || 0,
    expectedStatus: "ranges" in parsed ? parsed.ranges : [],
    bodyAssertion:
      v.assertionKind === BodyAssertionKind.UNSPECIFIED ? undefined : { kind: v.assertionKind, pattern: v.assertionPattern },
    followRedirects: v.followRedirects,
    maxRedirects: int(v.maxRedirects) || 0,
    skipTlsVerify: v.skipTlsVerify,
    tlsCaPem: v.tlsCaPem.trim() ? v.tlsCaPem : "",
    degradedAboveMs: v.degradedAboveMs.trim() === "" ? 0 : int(v.degradedAboveMs) || 0,
    failureThreshold: int(v.failureThreshold) || 0,
    recoveryThreshold: int(v.recoveryThreshold) || 0,
    enabled: v.enabled,
    labels: Object.fromEntries(v.labels.filter((l) => l.key || l.value).map((l) => [l.key.trim(), l.value])),
    // Always sent, so an empty list says "never" rather than "the default".
    certExpiry: { days: certDays.days },
    remindEverySeconds: v.remindEveryMinutes.trim() === "" ? 0 : (int(v.remindEveryMinutes) || 0) * 60,
  };
  return create(MonitorSchema, init);
}

/** Field path → what is wrong, for a person. Paths are the server's, without "monitor.". */
export type FieldErrors = Record<string, string>;

const bytes = (s: string) => new TextEncoder().encode(s).length;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/**
 * The server's rules. A regex assertion is not compiled here: the server uses Rust's regex
 * syntax, which JavaScript's RegExp does not share, so it alone can judge the pattern.
 */
export function validateForm(v: MonitorFormValues): FieldErrors {
  const errors: FieldErrors = {};
  const fail = (field: string, message: string) => {
    errors[field] ??= message;
  };

  const name = v.name.trim();
  if (!name) fail("name", "must not be empty");
  if ([...v.name].length > LIMITS.nameChars) fail("name", `at most ${LIMITS.nameChars} characters`);
  if (CONTROL.test(v.name)) fail("name", "must not contain control characters");

  const url = v.url.trim();
  if (bytes(url) > LIMITS.urlBytes) fail("url", `at most ${LIMITS.urlBytes} bytes`);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    fail("url", "not a URL");
  }
  if (parsed) {
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") fail("url", "scheme must be http or https");
    else if (!parsed.hostname) fail("url", "must name a host");
    else if (parsed.username || parsed.password) fail("url", "must not carry credentials; use an Authorization header");
  }

  const method = v.method.trim();
  if (!TOKEN.test(method)) fail("method", "must be an HTTP method token");
  if (bytes(method) > LIMITS.methodBytes) fail("method", `at most ${LIMITS.methodBytes} bytes`);

  const headers = v.headers.filter((h) => h.key || h.value);
  if (headers.length > LIMITS.headers) fail("headers", `at most ${LIMITS.headers} headers`);
  headers.forEach((h, i) => {
    if (!TOKEN.test(h.key.trim())) fail(`headers[${i}].name`, "must be a header name token");
    if (bytes(h.key) > LIMITS.headerNameBytes) fail(`headers[${i}].name`, `at most ${LIMITS.headerNameBytes} bytes`);
    if (/[\r\n]/.test(h.value)) fail(`headers[${i}].value`, "must not contain CR or LF");
    if (bytes(h.value) > LIMITS.headerValueBytes) fail(`headers[${i}].value`, `at most ${LIMITS.headerValueBytes} bytes`);
  });
  if (bytes(v.body) > LIMITS.bodyBytes) fail("body", `at most ${LIMITS.bodyBytes} bytes`);

  const interval = int(v.intervalSeconds);
  const timeout = int(v.timeoutMs);
  const intervalOk = interval >= LIMITS.minIntervalSeconds && interval <= LIMITS.maxIntervalSeconds;
  if (!intervalOk) fail("interval_seconds", "must be between 1 second and 24 hours");
  if (!(timeout >= LIMITS.minTimeoutMs)) fail("timeout_ms", "must be at least 100 ms");
  // Compared only with an interval that is itself valid: one message per mistake.
  else if (intervalOk && timeout >= interval * 1000) fail("timeout_ms", "must be below the interval");

  const redirects = int(v.maxRedirects);
  if (!(redirects >= 0 && redirects <= LIMITS.maxRedirects)) fail("max_redirects", `at most ${LIMITS.maxRedirects}`);

  const status = parseStatusRanges(v.expectedStatus);
  if ("error" in status) fail("expected_status", status.error);
  else {
    if (status.ranges.length > LIMITS.statusRanges) fail("expected_status", `at most ${LIMITS.statusRanges} ranges`);
    status.ranges.forEach((r, i) => {
      const ok = r.min >= 100 && r.max <= 599 && r.min <= r.max && r.max >= 100 && r.min <= 599;
      if (!ok) fail(`expected_status[${i}]`, "must be a range of status codes within 100..=599, min <= max");
    });
  }

  if (v.assertionKind !== BodyAssertionKind.UNSPECIFIED) {
    if (!v.assertionPattern) fail("body_assertion.pattern", "must not be empty");
    if (bytes(v.assertionPattern) > LIMITS.patternBytes) fail("body_assertion.pattern", `at most ${LIMITS.patternBytes} bytes`);
  }

  if (v.degradedAboveMs.trim() !== "") {
    const degraded = int(v.degradedAboveMs);
    if (Number.isNaN(degraded)) fail("degraded_above_ms", "must be a whole number of milliseconds");
    else if (degraded > 0 && Number.isFinite(timeout) && degraded >= timeout) fail("degraded_above_ms", "must be below the timeout");
  }

  for (const [field, text] of [
    ["failure_threshold", v.failureThreshold],
    ["recovery_threshold", v.recoveryThreshold],
  ] as const) {
    const n = int(text);
    if (!(n >= 1 && n <= LIMITS.thresholdMax)) fail(field, `must be within 1..=${LIMITS.thresholdMax}`);
  }

  if (v.tlsCaPem.trim()) {
    if (bytes(v.tlsCaPem) > LIMITS.tlsCaPemBytes) fail("tls_ca_pem", `at most ${LIMITS.tlsCaPemBytes} bytes`);
    else if (!v.tlsCaPem.includes("-----BEGIN CERTIFICATE-----")) fail("tls_ca_pem", "no CERTIFICATE block found");
  }

  const certDays = parseCertExpiryDays(v.certExpiryDays);
  if ("error" in certDays) fail("cert_expiry.days", certDays.error);
  else if (certDays.days.length > LIMITS.certExpiryDays || certDays.days.some((d) => d < 1 || d > LIMITS.certExpiryDayMax))
    fail("cert_expiry.days", `at most ${LIMITS.certExpiryDays} thresholds, each 1 to ${LIMITS.certExpiryDayMax} days`);

  if (v.remindEveryMinutes.trim() !== "") {
    const minutes = int(v.remindEveryMinutes);
    if (!(minutes >= 1 && minutes <= LIMITS.remindEveryMinutesMax))
      fail("remind_every_seconds", `a whole number of minutes, 1 to ${LIMITS.remindEveryMinutesMax} (7 days); empty for each channel's own`);
  }

  const labels = v.labels.filter((l) => l.key || l.value);
  if (labels.length > LIMITS.labels) fail("labels", `at most ${LIMITS.labels} labels`);
  const seen = new Set<string>();
  for (const l of labels) {
    const key = l.key.trim();
    if (!key || bytes(key) > LIMITS.labelKeyBytes || CONTROL.test(key))
      fail(`labels.${key}`, `key must be 1..=${LIMITS.labelKeyBytes} bytes without control characters`);
    else if (bytes(l.value) > LIMITS.labelValueBytes || CONTROL.test(l.value))
      fail(`labels.${key}`, `value must be at most ${LIMITS.labelValueBytes} bytes without control characters`);
    else if (seen.has(key)) fail(`labels.${key}`, "appears twice");
    seen.add(key);
  }
  return errors;
}

/** Server violations ("monitor.headers[1].name") keyed as the form keys them. */
export function formErrorsFromViolations(violations: { field: string; description: string }[]): FieldErrors {
  return violationErrors(violations, "monitor");
}

/** The first error of a range list, for the one input that holds all ranges. */
export function statusRangeError(errors: FieldErrors): string | undefined {
  if (errors.expected_status) return errors.expected_status;
  const entry = Object.entries(errors).find(([field]) => field.startsWith("expected_status["));
  if (!entry) return undefined;
  const index = Number(/\[(\d+)\]/.exec(entry[0])?.[1] ?? 0);
  return `range ${index + 1}: ${entry[1]}`;
}
