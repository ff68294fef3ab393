import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CheckResultSchema, HopSchema, PhasesSchema } from "../gen/pulsar/v1/check_pb";
import { MIN_WIDTH_PCT, layoutWaterfall, niceTicks } from "./waterfall";

const phases = (p: Partial<Record<"dns" | "connect" | "tls" | "ttfb" | "download" | "total", number>>) =>
  create(PhasesSchema, {
    dnsUs: p.dns === undefined ? undefined : BigInt(p.dns),
    connectUs: p.connect === undefined ? undefined : BigInt(p.connect),
    tlsUs: p.tls === undefined ? undefined : BigInt(p.tls),
    ttfbUs: p.ttfb === undefined ? undefined : BigInt(p.ttfb),
    downloadUs: p.download === undefined ? undefined : BigInt(p.download),
    totalUs: p.total === undefined ? undefined : BigInt(p.total),
  });

describe("layoutWaterfall", () => {
  it("places phases one after another from the hop's start", () => {
    const result = create(CheckResultSchema, {
      phases: phases({ dns: 1000, connect: 2000, tls: 3000, ttfb: 3000, download: 1000, total: 10_000 }),
      hops: [
        create(HopSchema, {
          url: "https://a/",
          statusCode: 200,
          phases: phases({ dns: 1000, connect: 2000, tls: 3000, ttfb: 3000, download: 1000 }),
        }),
      ],
    });
    const layout = layoutWaterfall(result);
    expect(layout.scaleUs).toBe(10_000);
    const [hop] = layout.hops;
    expect(hop?.segments.map((s) => [s.phase, s.startUs, s.leftPct, s.widthPct])).toEqual([
      ["dns", 0, 0, 10],
      ["connect", 1000, 10, 20],
      ["tls", 3000, 30, 30],
      ["ttfb", 6000, 60, 30],
      ["download", 9000, 90, 10],
    ]);
    expect(hop?.endUs).toBe(10_000);
  });

  it("puts each redirect hop at its own offset", () => {
    const result = create(CheckResultSchema, {
      phases: phases({ total: 20_000 }),
      hops: [
        create(HopSchema, { url: "http://a/", statusCode: 301, phases: phases({ dns: 500, connect: 500, ttfb: 4000, download: 0 }) }),
        create(HopSchema, {
          url: "https://a/",
          statusCode: 200,
          startOffsetUs: 6000n,
          phases: phases({ dns: 0, connect: 1000, tls: 5000, ttfb: 6000, download: 2000 }),
        }),
      ],
    });
    const layout = layoutWaterfall(result);
    expect(layout.hops).toHaveLength(2);
    expect(layout.hops[1]?.segments[0]?.leftPct).toBe(30);
    expect(layout.hops[1]?.endUs).toBe(20_000);
    expect(layout.hops[0]?.statusCode).toBe(301);
  });

  it("leaves out phases a failed check never reached", () => {
    const result = create(CheckResultSchema, {
      phases: phases({ dns: 800, connect: 5000, total: 5900 }),
      hops: [create(HopSchema, { url: "https://down/", phases: phases({ dns: 800, connect: 5000 }) })],
    });
    const hop = layoutWaterfall(result).hops[0];
    expect(hop?.segments.map((s) => s.phase)).toEqual(["dns", "connect"]);
    expect(layoutWaterfall(result).scaleUs).toBe(5900);
  });

  it("keeps a tiny phase visible without spilling past the end", () => {
    const result = create(CheckResultSchema, {
      hops: [create(HopSchema, { phases: phases({ dns: 0, connect: 100_000, ttfb: 1 }) })],
    });
    const [dns, connect, ttfb] = layoutWaterfall(result).hops[0]?.segments ?? [];
    expect(dns?.widthPct).toBe(MIN_WIDTH_PCT);
    expect(connect?.widthPct).toBeCloseTo(99.999, 2);
    expect(ttfb?.widthPct).toBe(MIN_WIDTH_PCT);
    expect((ttfb?.leftPct ?? 0) + (ttfb?.widthPct ?? 0)).toBeLessThanOrEqual(100);
  });

  it("draws a result without hops from its summed phases", () => {
    const result = create(CheckResultSchema, { statusCode: 200, phases: phases({ dns: 1, connect: 1, ttfb: 2, total: 4 }) });
    const layout = layoutWaterfall(result);
    expect(layout.hops).toHaveLength(1);
    expect(layout.hops[0]?.segments).toHaveLength(3);
  });

  it("never divides by zero", () => {
    const layout = layoutWaterfall(create(CheckResultSchema, {}));
    expect(layout.scaleUs).toBe(1);
    expect(layout.hops[0]?.segments).toEqual([]);
  });
});

describe("niceTicks", () => {
  it("steps by 1, 2 or 5 times a power of ten", () => {
    expect(niceTicks(10_000)).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
    expect(niceTicks(23_000)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(niceTicks(0)).toEqual([0]);
  });
});
