import { describe, expect, it } from "vitest";
import { conditionLabel, firedSeconds, isFiring, parseCondition, ruleLabel } from "./hostIncidents";

describe("condition keys", () => {
  it("split at the first colon into rule and mount point", () => {
    expect(parseCondition("memory_low")).toEqual({ rule: "memory_low", subject: "" });
    expect(parseCondition("disk_full:/data")).toEqual({ rule: "disk_full", subject: "/data" });
    expect(parseCondition("inodes_full:/mnt/a:b")).toEqual({ rule: "inodes_full", subject: "/mnt/a:b" });
    expect(parseCondition("")).toEqual({ rule: "", subject: "" });
  });

  it("read as words, with the mount point after a dot", () => {
    expect(
      ["cpu_busy", "memory_low", "disk_full:/data", "inodes_full:/", "zombies", "threads", "load", "silent"].map(conditionLabel),
    ).toEqual([
      "CPU busy",
      "Memory low",
      "Disk full · /data",
      "Inodes full · /",
      "Zombie processes",
      "Threads near the limit",
      "High load",
      "Host silent",
    ]);
  });

  it("read a rule this page does not know in its own words", () => {
    expect(ruleLabel("swap_full")).toBe("Swap full");
    expect(conditionLabel("swap_full:/dev/sda2")).toBe("Swap full · /dev/sda2");
    expect(ruleLabel("")).toBe("—");
  });
});

describe("duration", () => {
  it("runs to now while firing", () => {
    const firing = { openedAtUnixMs: 10_000n, closedAtUnixMs: 0n };
    expect(isFiring(firing)).toBe(true);
    expect(firedSeconds(firing, 70_000)).toBe(60);
  });

  it("ends when it resolved, whatever now is", () => {
    const closed = { openedAtUnixMs: 10_000n, closedAtUnixMs: 25_000n };
    expect(isFiring(closed)).toBe(false);
    expect(firedSeconds(closed, 1_000_000)).toBe(15);
  });

  it("is never negative when the clock of the page lags the server's", () => {
    expect(firedSeconds({ openedAtUnixMs: 10_000n, closedAtUnixMs: 0n }, 9_000)).toBe(0);
  });
});
