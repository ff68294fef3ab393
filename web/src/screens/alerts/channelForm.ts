// A notification channel as the form holds it, and the server's rules for it under the
// server's field names: the map's limits (pulsar-core notification.rs) and each kind's own
// settings (pulsar-core destination.rs), so a server violation ("channel.config.topic")
// lands beside the same input as the client's check of it.
import { create } from "@bufbuild/protobuf";
import { NotificationChannelSchema, type Delivery, type NotificationChannel } from "../../gen/pulsar/v1/notification_pb";
import { violationErrors } from "../../api/errors";
import type { FieldErrors, Pair } from "../../lib/monitorForm";
import { formatUs } from "../../lib/format";

/** What a secret reads as (pulsar-core secrets.rs); sent back, it keeps the stored value. */
export const MASK = "********";

export const CHANNEL_KINDS = ["discord", "slack", "webhook", "email", "ntfy"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const KIND_LABELS: Record<ChannelKind, string> = {
  discord: "Discord",
  slack: "Slack",
  webhook: "Webhook",
  email: "E-mail (SMTP)",
  ntfy: "ntfy",
};

export function isChannelKind(kind: string): kind is ChannelKind {
  return (CHANNEL_KINDS as readonly string[]).includes(kind);
}

/** "E-mail (SMTP)" for "email"; an unknown kind as it is. */
export function kindLabel(kind: string): string {
  return isChannelKind(kind) ? KIND_LABELS[kind] : kind;
}

export const LIMITS = { nameChars: 200, configEntries: 32, keyBytes: 64, valueBytes: 4096 } as const;

export const DEFAULT_NTFY_SERVER = "https://ntfy.sh";
export const SMTP_SECURITY = ["starttls", "tls", "none"] as const;
export const SMTP_DEFAULT_PORT: Record<string, number> = { starttls: 587, tls: 465, none: 25 };

/** One setting of a kind: the config key it is stored under and how the form shows it. */
export interface SettingSpec {
  key: string;
  label: string;
  hint: string;
  required?: boolean;
  /** url: an http(s) URL; secret: a password input; select: one of `options`; pem:
   * certificates, several lines. */
  input: "url" | "text" | "secret" | "select" | "port" | "email" | "pem";
  placeholder?: string;
  options?: { value: string; label: string }[];
  /** Half a row on wider screens, beside its partner (security and port, user and password). */
  half?: boolean;
  /** A shorter label for the channel's one-line summary. */
  short?: string;
}

/** Each kind's settings, in the order the editor shows them. */
export const KIND_SETTINGS: Record<ChannelKind, SettingSpec[]> = {
  discord: [
    {
      key: "webhook_url",
      label: "Webhook URL",
      input: "url",
      required: true,
      placeholder: "https://discord.com/api/webhooks/…",
      hint: "In Discord: Server Settings → Integrations → Webhooks → New Webhook → Copy Webhook URL.",
    },
  ],
  slack: [
    {
      key: "webhook_url",
      label: "Webhook URL",
      input: "url",
      required: true,
      placeholder: "https://hooks.slack.com/services/…",
      hint: "A Slack app's Incoming Webhook: api.slack.com/apps → your app → Incoming Webhooks → Add New Webhook to Workspace.",
    },
  ],
  webhook: [
    {
      key: "url",
      label: "URL",
      input: "url",
      required: true,
      placeholder: "https://example.com/pulsar",
      hint: "Pulsar POSTs its JSON event body here.",
    },
    {
      key: "secret",
      label: "Signing secret",
      input: "secret",
      hint: "Optional. When set, each request carries X-Pulsar-Timestamp and X-Pulsar-Signature: sha256=HMAC-SHA256(secret, \"<timestamp>.<body>\") for the receiver to check.",
    },
  ],
  email: [
    {
      key: "smtp_host",
      label: "SMTP server",
      input: "text",
      required: true,
      placeholder: "smtp.example.com",
      hint: "Your mail provider's outgoing (SMTP) server.",
    },
    {
      key: "security",
      half: true,
      label: "Security",
      input: "select",
      options: [
        { value: "starttls", label: "STARTTLS (port 587)" },
        { value: "tls", label: "TLS from the start (port 465)" },
        { value: "none", label: "None (port 25, a local relay only)" },
      ],
      hint: "STARTTLS is refused if the server cannot do it; “none” sends in clear text.",
    },
    {
      key: "smtp_port",
      half: true,
      label: "Port",
      input: "port",
      hint: "Empty: the security's usual port.",
    },
    {
      key: "username",
      half: true,
      label: "Username",
      input: "text",
      hint: "Optional; goes with a password. Empty: no authentication.",
    },
    {
      key: "password",
      half: true,
      label: "Password",
      input: "secret",
      hint: "Optional; goes with the username (an app password where the provider asks for one).",
    },
    {
      key: "from",
      label: "From",
      input: "email",
      required: true,
      placeholder: "pulsar@example.com",
      hint: "The sender address.",
    },
    {
      key: "to",
      label: "To",
      input: "email",
      required: true,
      placeholder: "ops@example.com, oncall@example.com",
      hint: "One or more recipients, separated by commas.",
    },
    {
      key: "ca_pem",
      label: "Extra CA certificate (PEM)",
      short: "Extra CA",
      input: "pem",
      placeholder: "-----BEGIN CERTIFICATE-----",
      hint: "Trusted besides the public roots, for a mail server whose certificate your own CA signed.",
    },
  ],
  ntfy: [
    {
      key: "topic",
      label: "Topic",
      input: "text",
      required: true,
      placeholder: "pulsar-alerts",
      hint: "Letters, digits, '-' and '_'. Anyone who knows a topic on a public server can read it: pick one hard to guess.",
    },
    {
      key: "server_url",
      label: "Server URL",
      input: "url",
      placeholder: DEFAULT_NTFY_SERVER,
      hint: `Optional; empty: ${DEFAULT_NTFY_SERVER}. Your own ntfy server's address otherwise.`,
    },
    {
      key: "token",
      label: "Access token",
      input: "secret",
      hint: "Optional; for a protected topic (tk_…).",
    },
    {
      key: "priority",
      label: "Priority",
      input: "select",
      options: [
        { value: "", label: "By event (down 5, degraded 4, recovered 3)" },
        { value: "1", label: "1 · min" },
        { value: "2", label: "2 · low" },
        { value: "3", label: "3 · default" },
        { value: "4", label: "4 · high" },
        { value: "5", label: "5 · urgent" },
      ],
      hint: "How loudly phones announce the messages.",
    },
  ],
};

/** How often a channel hears again of a monitor that stays down (pulsar-core notification.rs). */
export const REMIND_EVERY = "remind_every";
export const MIN_REMINDER_SECONDS = 60;

/** Settings every kind may have, shown below the kind's own. */
export const COMMON_SETTINGS: SettingSpec[] = [
  {
    key: REMIND_EVERY,
    label: "Remind while down, every",
    short: "Reminders every",
    input: "text",
    placeholder: "e.g. 1h",
    hint: "While a monitor stays down, tell this channel again at this interval: 30m, 1h, 1d (at least 1m). Empty: no reminders.",
  },
];

/** The settings the form shows for `kind` (none for a kind it does not know). */
export function settingsOf(kind: string): SettingSpec[] {
  return isChannelKind(kind) ? KIND_SETTINGS[kind] : [];
}

/** The kind's settings and the common ones: every key a field on screen holds. */
export function fieldSettingsOf(kind: string): SettingSpec[] {
  return [...settingsOf(kind), ...COMMON_SETTINGS];
}

/**
 * A duration as the server reads one (pulsar-core `parse_duration`): a number and ms, s,
 * m, h or d; a bare number is seconds. In seconds, or the server's reason it is not one.
 */
export function parseDuration(raw: string): { seconds: number } | { error: string } {
  const text = raw.trim();
  const split = text.search(/[^0-9.]/);
  const number = split === -1 ? text : text.slice(0, split);
  const unit = split === -1 ? "" : text.slice(split).trim();
  if (!/^(\d+\.?\d*|\.\d+)$/.test(number)) return { error: `${JSON.stringify(text)} is not a duration like 500ms, 5s, 1m or 7d` };
  const factors: Record<string, number> = { ms: 0.001, "": 1, s: 1, m: 60, h: 3600, d: 86_400 };
  const factor = factors[unit];
  if (factor === undefined) return { error: `unknown unit ${JSON.stringify(unit)} (use ms, s, m, h or d)` };
  const seconds = Number(number) * factor;
  if (!(seconds > 0 && seconds < 1e9)) return { error: `${JSON.stringify(text)} must be above zero` };
  return { seconds };
}

/** Whether the server masks a setting when read (pulsar-core `is_secret_setting`). */
export function isSecretSetting(key: string): boolean {
  const k = key.toLowerCase();
  return ["token", "secret", "password", "key", "auth", "url", "webhook"].some((hint) => k.includes(hint));
}

export interface ChannelFormValues {
  id: bigint;
  name: string;
  kind: string;
  enabled: boolean;
  /**
   * Every setting by key, as read or typed, across kinds: switching kind and back keeps
   * what was typed. Only the current kind's settings (and `kept`) are sent.
   */
  settings: Record<string, string>;
  /** Keys of the channel as read that its kind does not know: sent back as they are. */
  kept: string[];
  /** Keys that were read as the mask: a stored secret, kept when the mask is sent back. */
  masked: string[];
}

export function channelForm(c?: NotificationChannel): ChannelFormValues {
  if (!c) return { id: 0n, name: "", kind: "webhook", enabled: true, settings: {}, kept: [], masked: [] };
  const known = new Set(fieldSettingsOf(c.kind).map((s) => s.key));
  const keys = Object.keys(c.config);
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    enabled: c.enabled,
    settings: { ...c.config },
    kept: keys.filter((k) => !known.has(k)),
    masked: keys.filter((k) => c.config[k] === MASK && isSecretSetting(k)),
  };
}

/** Settings of the channel as read that no field of the current kind shows, with values. */
export function keptSettings(v: ChannelFormValues): Pair[] {
  const shown = new Set(fieldSettingsOf(v.kind).map((s) => s.key));
  return v.kept.filter((k) => !shown.has(k) && k in v.settings).map((key) => ({ key, value: v.settings[key] ?? "" }));
}

/** The config map to send: the kind's settings that are filled in (trimmed, as the server reads them), then the kept ones. */
export function configOf(v: ChannelFormValues): Record<string, string> {
  const config: Record<string, string> = {};
  for (const s of fieldSettingsOf(v.kind.trim())) {
    const value = (v.settings[s.key] ?? "").trim();
    if (value) config[s.key] = value;
  }
  for (const p of keptSettings(v)) config[p.key] = p.value;
  return config;
}

export function channelFromForm(v: ChannelFormValues): NotificationChannel {
  return create(NotificationChannelSchema, {
    id: v.id,
    name: v.name.trim(),
    kind: v.kind.trim(),
    enabled: v.enabled,
    config: configOf(v),
  });
}

const bytes = (s: string) => new TextEncoder().encode(s).length;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An http:// or https:// URL naming a host (the url crate and WHATWG URL agree here). */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** An address as the server accepts one: something@host, no whitespace. */
export function isAddress(a: string): boolean {
  const at = a.indexOf("@");
  return at > 0 && /[^.]/.test(a.slice(at + 1)) && !/\s/.test(a);
}

/** A non-negative integer as Rust's `str::parse` reads one ("+" allowed), or undefined. */
function parseUnsigned(s: string): number | undefined {
  return /^\+?\d+$/.test(s) ? Number(s.replace(/^\+/, "")) : undefined;
}

/** The server's rules, keyed as the server keys them ("name", "kind", "config.topic"). */
export function validateChannel(v: ChannelFormValues): FieldErrors {
  const errors: FieldErrors = {};
  const fail = (field: string, message: string) => {
    errors[field] ??= message;
  };
  if (!v.name.trim()) fail("name", "must not be empty");
  else if ([...v.name].length > LIMITS.nameChars || CONTROL.test(v.name)) fail("name", `at most ${LIMITS.nameChars} characters, no control characters`);
  const kind = v.kind.trim();
  if (!isChannelKind(kind)) fail("kind", `unknown kind; one of ${CHANNEL_KINDS.join(", ")}`);

  const config = configOf(v);
  if (Object.keys(config).length > LIMITS.configEntries) fail("config", `at most ${LIMITS.configEntries} entries`);
  for (const [key, value] of Object.entries(config)) {
    if (!key || bytes(key) > LIMITS.keyBytes) fail(`config.${key}`, `keys are 1..=${LIMITS.keyBytes} bytes`);
    else if (bytes(value) > LIMITS.valueBytes) fail(`config.${key}`, `at most ${LIMITS.valueBytes} bytes`);
  }

  // Any kind: reminders at least a minute apart.
  const remind = config[REMIND_EVERY];
  if (remind !== undefined) {
    const parsed = parseDuration(remind);
    if ("error" in parsed) fail(`config.${REMIND_EVERY}`, parsed.error);
    else if (parsed.seconds < MIN_REMINDER_SECONDS) fail(`config.${REMIND_EVERY}`, "at least 1m");
  }

  // A stored secret sent back as its mask stands for the stored (valid) value.
  const stored = (key: string) => config[key] === MASK && v.masked.includes(key);
  const get = (key: string) => config[key] ?? "";
  const required = (key: string) => {
    if (!get(key)) fail(`config.${key}`, "is required");
    return get(key);
  };
  const url = (key: string) => {
    if (get(key) && !stored(key) && !isHttpUrl(get(key))) fail(`config.${key}`, "must be an http:// or https:// URL");
  };

  switch (kind) {
    case "discord":
    case "slack":
      required("webhook_url");
      url("webhook_url");
      break;
    case "webhook":
      required("url");
      url("url");
      break;
    case "ntfy": {
      const topic = required("topic");
      if (topic && !/^[A-Za-z0-9_-]+$/.test(topic)) fail("config.topic", "letters, digits, '-' and '_' only");
      const priority = get("priority");
      if (priority) {
        const p = parseUnsigned(priority);
        if (p === undefined || p < 1 || p > 5) fail("config.priority", "1 (min) to 5 (urgent)");
      }
      url("server_url");
      break;
    }
    case "email": {
      const security = get("security");
      if (security && !(SMTP_SECURITY as readonly string[]).includes(security)) fail("config.security", "starttls, tls or none");
      const port = get("smtp_port");
      if (port) {
        const p = parseUnsigned(port);
        if (p === undefined || p < 1 || p > 65535) fail("config.smtp_port", "a port number, 1..=65535");
      }
      const from = required("from");
      if (from && !isAddress(from)) fail("config.from", "an address like pulsar@example.com");
      const to = required("to")
        .split(",")
        .map((a) => a.trim())
        .filter(Boolean);
      const bad = to.find((a) => !isAddress(a));
      if (bad !== undefined) fail("config.to", `${JSON.stringify(bad)} is not an address; separate several with commas`);
      // Stricter than the server, which takes "," as a list of no one.
      if (get("to") && to.length === 0) fail("config.to", "at least one address");
      if (!get("username") !== !get("password")) fail("config.password", "username and password go together");
      required("smtp_host");
      break;
    }
  }
  return errors;
}

/** Server violations ("channel.config.url") keyed as the form keys them ("config.url"). */
export function channelErrors(violations: { field: string; description: string }[]): FieldErrors {
  return violationErrors(violations, "channel");
}

/** A test delivery in words: whether it arrived, what the receiver said, how long it took. */
export function describeTest(delivery: Delivery | undefined): { ok: boolean; title: string; detail: string; latency: string } {
  if (!delivery) return { ok: false, title: "Test not delivered", detail: "The server answered without a delivery record.", latency: "" };
  return {
    ok: delivery.success,
    title: delivery.success ? "Test message delivered" : "Test message not delivered",
    detail: delivery.detail || (delivery.success ? "" : "No detail given."),
    latency: delivery.latencyUs > 0n ? formatUs(delivery.latencyUs) : "",
  };
}

/** A channel's settings in one line for its list entry: secrets as "hidden", labels for known keys. */
export function summarizeConfig(c: NotificationChannel): string {
  const specs = new Map(fieldSettingsOf(c.kind).map((s) => [s.key, s]));
  const order = [...specs.keys()];
  const rank = (k: string) => (specs.has(k) ? order.indexOf(k) : order.length);
  return Object.entries(c.config)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([k, v]) => {
      const label = specs.get(k)?.short ?? specs.get(k)?.label ?? k;
      const option = specs.get(k)?.options?.find((o) => o.value === v)?.label;
      // A certificate is many lines of base64: that one is set is what the line can say.
      const shown = specs.get(k)?.input === "pem" ? "set" : (option ?? v);
      return `${label}: ${v === MASK ? "hidden" : shown}`;
    })
    .join(" · ");
}
