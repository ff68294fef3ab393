import { describe, expect, it } from "vitest";
import {
  MISSING,
  daysLeft,
  enumWords,
  formatAgo,
  formatBytes,
  formatMs,
  formatPct,
  formatRate,
  formatSpan,
  formatUs,
  formatWindow,
  usToMs,
} from "./format";

describe("durations", () => {
  it("converts bigint microseconds without losing the fraction", () => {
    expect(usToMs(1234n)).toBe(1.234);
    expect(usToMs(undefined)).toBeUndefined();
  });

  it("shows more precision for short durations", () => {
    expect(formatMs(0.123)).toBe("0.12 ms");
    expect(formatMs(4.56)).toBe("4.6 ms");
    expect(formatMs(123.4)).toBe("123 ms");
    expect(formatMs(12_345)).toBe("12.3 s");
    expect(formatUs(2_500n)).toBe("2.5 ms");
  });

  it("never shows a missing phase as zero", () => {
    expect(formatMs(undefined)).toBe(MISSING);
    expect(formatUs(undefined)).toBe(MISSING);
    expect(formatUs(0n)).toBe("0.00 ms");
  });

  it("spans and windows", () => {
    expect(formatSpan(0)).toBe("0 s");
    expect(formatSpan(45)).toBe("45 s");
    expect(formatSpan(3 * 86_400 + 4 * 3600 + 5)).toBe("3 d 4 h");
    expect(formatSpan(3600 + 30)).toBe("1 h");
    expect(formatWindow(3600)).toBe("1h");
    expect(formatWindow(86_400)).toBe("1d");
    expect(formatWindow(604_800)).toBe("7d");
  });
});

describe("sizes and rates", () => {
  it("uses binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(8n * 1024n ** 3n)).toBe("8.0 GiB");
    expect(formatRate(2048)).toBe("2.0 KiB/s");
    expect(formatRate(undefined)).toBe(MISSING);
  });
});

describe("percentages", () => {
  it("does not round a near-perfect uptime up to 100%", () => {
    expect(formatPct(100)).toBe("100%");
    expect(formatPct(99.999)).toBe("99.99%");
    expect(formatPct(99.5)).toBe("99.50%");
    expect(formatPct(undefined)).toBe(MISSING);
  });
});

describe("relative time", () => {
  const now = 1_700_000_000_000;
  it("reads naturally", () => {
    expect(formatAgo(now - 1000, now)).toBe("just now");
    expect(formatAgo(now - 30_000, now)).toBe("30 s ago");
    expect(formatAgo(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatAgo(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe("3 d ago");
    expect(formatAgo(0, now)).toBe("never");
  });

  it("counts certificate days left, negative once expired", () => {
    expect(daysLeft(now + 10.5 * 86_400_000, now)).toBe(10);
    expect(daysLeft(BigInt(now - 86_400_000), now)).toBe(-1);
  });
});

it("turns enum names into words", () => {
  expect(enumWords("FAILURE_KIND_CONNECT_REFUSED", "FAILURE_KIND_")).toBe("connect refused");
});
