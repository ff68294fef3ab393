import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { BodyAssertionKind, MonitorSchema } from "../gen/pulsar/v1/monitor_pb";
import {
  emptyForm,
  formErrorsFromViolations,
  formFromMonitor,
  monitorFromForm,
  parseCertExpiryDays,
  parseStatusRanges,
  statusRangeError,
  validateForm,
  type MonitorFormValues,
} from "./monitorForm";

const valid = (): MonitorFormValues => ({ ...emptyForm(), name: "site", url: "https://example.com/" });

describe("validateForm mirrors the server's rules", () => {
  it("accepts the defaults", () => {
    expect(validateForm(valid())).toEqual({});
  });

  it("only http and https, with a host and no credentials", () => {
    for (const url of ["ftp://example.com", "not a url", "https://user:pw@example.com/"]) {
      expect(Object.keys(validateForm({ ...valid(), url }))).toEqual(["url"]);
    }
  });

  it("interval within 1 s..24 h and the timeout below it", () => {
    expect(Object.keys(validateForm({ ...valid(), intervalSeconds: "0" }))).toEqual(["interval_seconds"]);
    expect(Object.keys(validateForm({ ...valid(), intervalSeconds: "86401" }))).toEqual(["interval_seconds"]);
    expect(validateForm({ ...valid(), intervalSeconds: "5", timeoutMs: "5000" })).toEqual({ timeout_ms: "must be below the interval" });
    expect(validateForm({ ...valid(), timeoutMs: "50" })).toEqual({ timeout_ms: "must be at least 100 ms" });
  });

  it("names the header row that is wrong, as the server does", () => {
    const v = { ...valid(), headers: [{ key: "Ok", value: "fine" }, { key: "X Evil", value: "a\r\nInjected: 1" }] };
    expect(Object.keys(validateForm(v))).toEqual(["headers[1].name", "headers[1].value"]);
  });

  it("status ranges within 100..599, min <= max", () => {
    expect(Object.keys(validateForm({ ...valid(), expectedStatus: "300-200" }))).toEqual(["expected_status[0]"]);
    expect(Object.keys(validateForm({ ...valid(), expectedStatus: "2xx" }))).toEqual(["expected_status"]);
  });

  it("a body assertion needs a pattern; degraded must be below the timeout", () => {
    const v = { ...valid(), assertionKind: BodyAssertionKind.CONTAINS, degradedAboveMs: "10000" };
    expect(Object.keys(validateForm(v))).toEqual(["body_assertion.pattern", "degraded_above_ms"]);
  });

  it("thresholds within 1..=100, labels with keys", () => {
    const v = { ...valid(), failureThreshold: "0", recoveryThreshold: "101", labels: [{ key: "", value: "x" }] };
    expect(Object.keys(validateForm(v))).toEqual(["failure_threshold", "recovery_threshold", "labels."]);
  });

  it("counts a name's length in characters, not bytes", () => {
    expect(validateForm({ ...valid(), name: "é".repeat(200) })).toEqual({});
    expect(Object.keys(validateForm({ ...valid(), name: "é".repeat(201) }))).toEqual(["name"]);
    expect(Object.keys(validateForm({ ...valid(), name: "   " }))).toEqual(["name"]);
  });
});

describe("certificate expiry warnings", () => {
  it("a monitor's own reminders: whole minutes, 1 to 7 days, empty for the channels' own", () => {
    expect(emptyForm().remindEveryMinutes).toBe("");
    expect(monitorFromForm(valid()).remindEverySeconds).toBe(0);
    const every = monitorFromForm({ ...valid(), remindEveryMinutes: "15" });
    expect(every.remindEverySeconds).toBe(900);
    expect(formFromMonitor(every).remindEveryMinutes).toBe("15");
    expect(formFromMonitor(create(MonitorSchema, { name: "x", url: "https://x", remindEverySeconds: 90 })).remindEveryMinutes).toBe("2");
    for (const bad of ["0", "10081", "1.5", "soon"])
      expect(Object.keys(validateForm({ ...valid(), remindEveryMinutes: bad })), bad).toEqual(["remind_every_seconds"]);
    expect(validateForm({ ...valid(), remindEveryMinutes: "10080" })).toEqual({});
  });

  it("default to 14, 7 and 1 days, and accept commas or spaces", () => {
    expect(emptyForm().certExpiryDays).toBe("14, 7, 1");
    expect(validateForm({ ...valid(), certExpiryDays: "30 14,7 ,1" })).toEqual({});
    expect(parseCertExpiryDays("1, 7, 14, 7")).toEqual({ days: [14, 7, 1] });
    expect(parseCertExpiryDays(" ")).toEqual({ days: [] });
  });

  it("each 1..=365, at most 10, whole numbers", () => {
    const error = (certExpiryDays: string) => validateForm({ ...valid(), certExpiryDays })["cert_expiry.days"];
    expect(error("365, 1")).toBeUndefined();
    expect(error("0")).toBe("at most 10 thresholds, each 1 to 365 days");
    expect(error("366")).toBe("at most 10 thresholds, each 1 to 365 days");
    expect(error("1 2 3 4 5 6 7 8 9 10")).toBeUndefined();
    expect(error("1 2 3 4 5 6 7 8 9 10 11")).toBe("at most 10 thresholds, each 1 to 365 days");
    // The server keeps each day once, so repeats do not count twice.
    expect(error("1 2 3 4 5 6 7 8 9 10 10")).toBeUndefined();
    expect(error("7d")).toBe('"7d" is not a whole number of days');
    expect(error("-1")).toBe('"-1" is not a whole number of days');
  });

  it("an empty field means never: sent as an empty list, not left unset (the default)", () => {
    const never = monitorFromForm({ ...valid(), certExpiryDays: "" });
    expect(never.certExpiry).toBeDefined();
    expect(never.certExpiry?.days).toEqual([]);
    expect(formFromMonitor(never).certExpiryDays).toBe("");
  });

  it("round-trips an existing monitor's thresholds, and reads an unset one as the default", () => {
    const m = create(MonitorSchema, { name: "x", url: "https://x", certExpiry: { days: [30, 3] } });
    const form = formFromMonitor(m);
    expect(form.certExpiryDays).toBe("30, 3");
    expect(monitorFromForm(form).certExpiry?.days).toEqual([30, 3]);
    expect(formFromMonitor(create(MonitorSchema, { name: "x", url: "https://x" })).certExpiryDays).toBe("14, 7, 1");
    expect(monitorFromForm({ ...valid(), certExpiryDays: "1, 7, 14" }).certExpiry?.days).toEqual([14, 7, 1]);
  });

  it("the server's violation lands on the field", () => {
    expect(formErrorsFromViolations([{ field: "monitor.cert_expiry.days", description: "at most 10 thresholds, each 1..=365 days" }])).toEqual({
      "cert_expiry.days": "at most 10 thresholds, each 1..=365 days",
    });
  });
});

describe("mapping to and from the proto", () => {
  it("round-trips every option", () => {
    const monitor = create(MonitorSchema, {
      id: "id-1",
      name: "api",
      url: "https://api.example/health",
      method: "POST",
      headers: [{ name: "Authorization", value: "********" }],
      body: "{}",
      intervalSeconds: 30,
      timeoutMs: 5000,
      expectedStatus: [
        { min: 200, max: 299 },
        { min: 301, max: 301 },
      ],
      bodyAssertion: { kind: BodyAssertionKind.REGEX, pattern: "ok" },
      followRedirects: false,
      maxRedirects: 3,
      skipTlsVerify: true,
      degradedAboveMs: 800,
      failureThreshold: 5,
      recoveryThreshold: 1,
      enabled: false,
      labels: { env: "prod" },
      tlsCaPem: "",
      certExpiry: { days: [21, 3] },
    });
    const form = formFromMonitor(monitor);
    expect(form.expectedStatus).toBe("200-299, 301");
    const back = monitorFromForm(form, "id-1");
    for (const key of ["name", "url", "method", "headers", "body", "intervalSeconds", "timeoutMs", "expectedStatus",
      "bodyAssertion", "followRedirects", "maxRedirects", "skipTlsVerify", "degradedAboveMs", "failureThreshold",
      "recoveryThreshold", "enabled", "labels", "id", "certExpiry"] as const) {
      expect(back[key], key).toEqual(monitor[key]);
    }
  });

  it("fills the server's defaults into a monitor that left them at zero", () => {
    const form = formFromMonitor(create(MonitorSchema, { name: "x", url: "http://x" }));
    expect(form.intervalSeconds).toBe("60");
    expect(form.timeoutMs).toBe("10000");
    expect(form.followRedirects).toBe(true);
    expect(form.expectedStatus).toBe("200-399");
  });

  it("reads status lists", () => {
    expect(parseStatusRanges("200-299, 418")).toEqual({ ranges: [{ min: 200, max: 299 }, { min: 418, max: 418 }] });
    expect(parseStatusRanges("")).toEqual({ ranges: [] });
  });
});

describe("server violations", () => {
  it("land on the form's own field names", () => {
    const errors = formErrorsFromViolations([
      { field: "monitor.name", description: "already taken" },
      { field: "monitor.expected_status[1]", description: "bad range" },
    ]);
    expect(errors).toEqual({ name: "already taken", "expected_status[1]": "bad range" });
    expect(statusRangeError(errors)).toBe("range 2: bad range");
  });
});
