import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { DeliverySchema, NotificationChannelSchema } from "../../gen/pulsar/v1/notification_pb";
import {
  CHANNEL_KINDS,
  KIND_LABELS,
  KIND_SETTINGS,
  MASK,
  channelErrors,
  channelForm,
  channelFromForm,
  describeTest,
  isAddress,
  isSecretSetting,
  keptSettings,
  parseDuration,
  summarizeConfig,
  validateChannel,
  type ChannelFormValues,
} from "./channelForm";

/** A new channel's form of `kind` with these settings typed in. */
function form(kind: string, settings: Record<string, string>, patch: Partial<ChannelFormValues> = {}): ChannelFormValues {
  return { ...channelForm(), name: "ops", kind, settings, ...patch };
}

/** The fields the check names, in order, for a channel of `kind` with these settings. */
const fields = (kind: string, settings: Record<string, string>) => Object.keys(validateChannel(form(kind, settings)));

const read = (kind: string, config: Record<string, string>) => create(NotificationChannelSchema, { id: 7n, name: "ops", kind, enabled: true, config });

describe("the kinds", () => {
  it("are the five the server delivers to, each labelled and with settings", () => {
    expect([...CHANNEL_KINDS]).toEqual(["discord", "slack", "webhook", "email", "ntfy"]);
    expect(CHANNEL_KINDS.map((k) => KIND_LABELS[k])).toEqual(["Discord", "Slack", "Webhook", "E-mail (SMTP)", "ntfy"]);
    for (const k of CHANNEL_KINDS) {
      expect(KIND_SETTINGS[k].length).toBeGreaterThan(0);
      for (const s of KIND_SETTINGS[k]) expect(s.hint.length, `${k}.${s.key} has a hint`).toBeGreaterThan(10);
    }
  });

  it("shows as secret inputs the settings the server keeps secret apart from URLs", () => {
    const secretInputs = CHANNEL_KINDS.flatMap((k) => KIND_SETTINGS[k].filter((s) => s.input === "secret").map((s) => s.key));
    expect(secretInputs).toEqual(["secret", "password", "token"]);
    for (const key of secretInputs) expect(isSecretSetting(key)).toBe(true);
    expect(["webhook_url", "url", "server_url", "X-Api-Key"].every(isSecretSetting)).toBe(true);
    expect(["topic", "username", "smtp_host", "to", "priority"].some(isSecretSetting)).toBe(false);
  });
});

describe("checks as the server does (destination.rs)", () => {
  it("the name and the kind", () => {
    expect(validateChannel(form("webhook", { url: "http://127.0.0.1:9/h" }))).toEqual({});
    expect(validateChannel(form("webhook", { url: "http://x" }, { name: " " }))).toEqual({ name: "must not be empty" });
    expect(validateChannel(form("webhook", { url: "http://x" }, { name: "a\u0007b" })).name).toMatch(/control/);
    expect(validateChannel(form("pager", {}))).toEqual({ kind: "unknown kind; one of discord, slack, webhook, email, ntfy" });
  });

  it("discord and slack: a required http(s) webhook URL", () => {
    expect(validateChannel(form("discord", {}))).toEqual({ "config.webhook_url": "is required" });
    expect(validateChannel(form("slack", { webhook_url: "ftp://x" }))).toEqual({ "config.webhook_url": "must be an http:// or https:// URL" });
    expect(fields("slack", { webhook_url: "hooks.slack.com/services/T0" })).toEqual(["config.webhook_url"]);
    expect(fields("discord", { webhook_url: "  https://discord.com/api/webhooks/1/abc  " })).toEqual([]);
  });

  it("webhook: a required URL, an optional secret", () => {
    expect(fields("webhook", { url: "" })).toEqual(["config.url"]);
    expect(fields("webhook", { url: "http://" })).toEqual(["config.url"]);
    expect(fields("webhook", { url: "https://example.com/h", secret: "s3cret" })).toEqual([]);
  });

  it("ntfy: topic characters, priority 1..5, server URL shape", () => {
    expect(fields("ntfy", {})).toEqual(["config.topic"]);
    expect(fields("ntfy", { topic: "a b", priority: "9" })).toEqual(["config.topic", "config.priority"]);
    expect(validateChannel(form("ntfy", { topic: "ops.alerts" }))).toEqual({ "config.topic": "letters, digits, '-' and '_' only" });
    expect(validateChannel(form("ntfy", { topic: "ops", priority: "0" }))).toEqual({ "config.priority": "1 (min) to 5 (urgent)" });
    expect(fields("ntfy", { topic: "ops", priority: "high" })).toEqual(["config.priority"]);
    expect(fields("ntfy", { topic: "ops-alerts_2", priority: "5", server_url: "https://ntfy.example.com", token: "tk_x" })).toEqual([]);
    expect(fields("ntfy", { topic: "ops", server_url: "ntfy.example.com" })).toEqual(["config.server_url"]);
  });

  it("email: host, addresses, port range, security, username with password", () => {
    // The server's own example: from and host missing, a bad recipient, a lone username.
    expect(fields("email", { to: "ops@example.com, nope", username: "u" }).sort()).toEqual(
      ["config.from", "config.password", "config.smtp_host", "config.to"].sort(),
    );
    const ok = { smtp_host: "mail.example.com", from: "pulsar@example.com", to: "a@example.com,b@example.com" };
    expect(fields("email", ok)).toEqual([]);
    expect(validateChannel(form("email", { ...ok, to: "a@example.com, b c@example.com" }))).toEqual({
      "config.to": "\"b c@example.com\" is not an address; separate several with commas",
    });
    expect(validateChannel(form("email", { ...ok, from: "pulsar" }))).toEqual({ "config.from": "an address like pulsar@example.com" });
    // The server would take "," as no recipient at all; the form asks for one.
    expect(validateChannel(form("email", { ...ok, to: " , " }))).toEqual({ "config.to": "at least one address" });
    for (const port of ["0", "65536", "25a", "-1"]) expect(fields("email", { ...ok, smtp_port: port }), port).toEqual(["config.smtp_port"]);
    for (const port of ["1", "465", "65535", "+25"]) expect(fields("email", { ...ok, smtp_port: port }), port).toEqual([]);
    expect(validateChannel(form("email", { ...ok, security: "ssl" }))).toEqual({ "config.security": "starttls, tls or none" });
    expect(fields("email", { ...ok, security: "tls", username: "u", password: "p" })).toEqual([]);
    expect(validateChannel(form("email", { ...ok, password: "p" }))).toEqual({ "config.password": "username and password go together" });
  });

  it("addresses as the server reads them", () => {
    for (const a of ["a@b", "ops@example.com", "a@b@c"]) expect(isAddress(a), a).toBe(true);
    for (const a of ["@example.com", "a@", "a@...", "a b@c", "nope"]) expect(isAddress(a), a).toBe(false);
  });

  it("the map's limits: entry count, key and value sizes", () => {
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`extra${i}`, "v"]));
    const many = { ...channelForm(read("webhook", { url: "http://x", ...big })), name: "ops" };
    expect(validateChannel(many).config).toBe("at most 32 entries");
    expect(validateChannel(form("webhook", { url: `http://x/${"a".repeat(4100)}` }))).toEqual({ "config.url": "at most 4096 bytes" });
  });

  it("a stored secret sent back as its mask counts as set and valid", () => {
    const values = channelForm(read("discord", { webhook_url: MASK }));
    expect(values.masked).toEqual(["webhook_url"]);
    expect(validateChannel(values)).toEqual({});
    // Typed by hand, eight asterisks are not a URL.
    expect(fields("discord", { webhook_url: MASK })).toEqual(["config.webhook_url"]);
    // A masked password goes with a username, and is missed without one.
    const email = channelForm(read("email", { smtp_host: "h", from: "a@b.c", to: "c@d.e", username: "u", password: MASK }));
    expect(validateChannel(email)).toEqual({});
    expect(Object.keys(validateChannel({ ...email, settings: { ...email.settings, username: "" } }))).toEqual(["config.password"]);
  });
});

describe("form and channel", () => {
  it("a new channel starts as a webhook with nothing set", () => {
    const v = channelForm();
    expect(v).toMatchObject({ id: 0n, kind: "webhook", enabled: true, settings: {}, kept: [], masked: [] });
  });

  it("reads a channel's settings, keeps int64 ids as bigints, sends only what is filled in, trimmed", () => {
    const v = channelForm(read("ntfy", { topic: "ops", priority: "4" }));
    expect(v.settings).toEqual({ topic: "ops", priority: "4" });
    const channel = channelFromForm({ ...v, id: 9007199254740993n, name: " ops ", settings: { ...v.settings, topic: " ops2 ", server_url: "  ", token: "" } });
    expect(channel.id).toBe(9007199254740993n);
    expect(channel.name).toBe("ops");
    expect(channel.config).toEqual({ topic: "ops2", priority: "4" });
  });

  it("sends masks back unchanged so the server keeps the stored secrets", () => {
    const v = channelForm(read("webhook", { url: MASK, secret: MASK }));
    expect(channelFromForm(v).config).toEqual({ url: MASK, secret: MASK });
    // A cleared secret is left out: the channel no longer signs.
    expect(channelFromForm({ ...v, settings: { ...v.settings, secret: "" } }).config).toEqual({ url: MASK });
  });

  it("keeps settings its kind does not know intact, and only the current kind's own", () => {
    const v = channelForm(read("webhook", { url: MASK, method: "PUT", "x-team": " a b " }));
    expect(v.kept).toEqual(["method", "x-team"]);
    expect(keptSettings(v)).toEqual([
      { key: "method", value: "PUT" },
      { key: "x-team", value: " a b " },
    ]);
    expect(channelFromForm(v).config).toEqual({ url: MASK, method: "PUT", "x-team": " a b " });

    // Switched to Slack: the webhook's URL is not Slack's setting and goes; the unknown ones stay.
    const slack = { ...v, kind: "slack", settings: { ...v.settings, webhook_url: "https://hooks.slack.com/services/T/B/X" } };
    expect(channelFromForm(slack).config).toEqual({ webhook_url: "https://hooks.slack.com/services/T/B/X", method: "PUT", "x-team": " a b " });
    // And back: what was typed for the webhook is still there.
    expect(channelFromForm({ ...slack, kind: "webhook" }).config).toEqual({ url: MASK, method: "PUT", "x-team": " a b " });
  });

  it("a kept setting the new kind knows becomes its field", () => {
    const v = channelForm(read("webhook", { url: "http://x", topic: "ops" }));
    expect(v.kept).toEqual(["topic"]);
    const ntfy = { ...v, kind: "ntfy" };
    expect(keptSettings(ntfy)).toEqual([]);
    expect(channelFromForm(ntfy).config).toEqual({ topic: "ops" });
  });

  it("an unknown kind keeps all its settings", () => {
    const v = channelForm(read("pager", { number: "1", api_key: MASK }));
    expect(v.kept).toEqual(["number", "api_key"]);
    expect(channelFromForm(v).config).toEqual({ number: "1", api_key: MASK });
  });

  it("server violations land under the form's keys", () => {
    expect(
      channelErrors([
        { field: "channel.config.webhook_url", description: "must be an http:// or https:// URL" },
        { field: "channel.config.webhook_url", description: "second" },
        { field: "channel.kind", description: "unknown kind" },
        { field: "", description: "whole" },
      ]),
    ).toEqual({ "config.webhook_url": "must be an http:// or https:// URL", kind: "unknown kind", channel: "whole" });
  });

  it("summarizes a channel with labels, secrets hidden", () => {
    expect(summarizeConfig(read("ntfy", { topic: "ops", token: MASK, priority: "5" }))).toBe("Topic: ops · Access token: hidden · Priority: 5 · urgent");
    expect(summarizeConfig(read("pager", { number: "1" }))).toBe("number: 1");
    expect(summarizeConfig(read("email", { to: "a@b.c", smtp_host: "h", security: "tls" }))).toBe("SMTP server: h · Security: TLS from the start (port 465) · To: a@b.c");
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    expect(summarizeConfig(read("email", { smtp_host: "h", ca_pem: pem }))).toBe("SMTP server: h · Extra CA: set");
  });
});

describe("reminders (remind_every, any kind)", () => {
  it("read durations as pulsar-core parse_duration does", () => {
    const seconds = (raw: string) => {
      const r = parseDuration(raw);
      return "seconds" in r ? r.seconds : r.error;
    };
    expect(["500ms", "5s", "5", "1.5s", "2m", "1h", "7d", " 30 m ", "1.", ".5m"].map(seconds)).toEqual([0.5, 5, 5, 1.5, 120, 3600, 604_800, 1800, 1, 30]);
    expect(seconds("0")).toBe('"0" must be above zero');
    expect(seconds("1w")).toBe('unknown unit "w" (use ms, s, m, h or d)');
    expect(seconds("-1m")).toBe('"-1m" is not a duration like 500ms, 5s, 1m or 7d');
    expect(seconds("1.2.3s")).toMatch(/is not a duration/);
    expect(seconds("hourly")).toMatch(/is not a duration/);
  });

  it("at least a minute, on every kind, and left out when empty", () => {
    expect(validateChannel(form("webhook", { url: "http://x", remind_every: "30s" }))).toEqual({ "config.remind_every": "at least 1m" });
    expect(validateChannel(form("ntfy", { topic: "ops", remind_every: "1m" }))).toEqual({});
    expect(validateChannel(form("discord", { webhook_url: "https://d/x", remind_every: "60" }))).toEqual({});
    expect(fields("slack", { webhook_url: "https://s/x", remind_every: "soon" })).toEqual(["config.remind_every"]);
    expect(channelFromForm(form("webhook", { url: "http://x", remind_every: "  " })).config).toEqual({ url: "http://x" });
    expect(channelFromForm(form("webhook", { url: "http://x", remind_every: " 2h " })).config).toEqual({ url: "http://x", remind_every: "2h" });
  });

  it("is a field of its own, not one of the other settings, and survives a change of kind", () => {
    const v = channelForm(read("webhook", { url: MASK, remind_every: "1h", team: "sre" }));
    expect(v.kept).toEqual(["team"]);
    expect(keptSettings(v)).toEqual([{ key: "team", value: "sre" }]);
    expect(channelFromForm({ ...v, kind: "ntfy", settings: { ...v.settings, topic: "ops" } }).config).toEqual({ topic: "ops", remind_every: "1h", team: "sre" });
    expect(summarizeConfig(read("webhook", { team: "sre", remind_every: "1h", url: MASK }))).toBe("URL: hidden · Reminders every: 1h · team: sre");
  });
});

describe("test deliveries in words", () => {
  it("delivered, with the receiver's answer and the time in ms", () => {
    const d = create(DeliverySchema, { success: true, detail: "HTTP 200: ok", latencyUs: 12_345n, attempt: 1, event: "test" });
    expect(describeTest(d)).toEqual({ ok: true, title: "Test message delivered", detail: "HTTP 200: ok", latency: "12.3 ms" });
  });

  it("not delivered, with the reason", () => {
    const d = create(DeliverySchema, { success: false, detail: "connect_refused: connection refused", latencyUs: 800n });
    expect(describeTest(d)).toEqual({ ok: false, title: "Test message not delivered", detail: "connect_refused: connection refused", latency: "0.80 ms" });
    expect(describeTest(create(DeliverySchema, {}))).toMatchObject({ ok: false, detail: "No detail given.", latency: "" });
    expect(describeTest(undefined)).toMatchObject({ ok: false, detail: "The server answered without a delivery record." });
  });
});
