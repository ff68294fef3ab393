import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { PhaseSeriesPointSchema } from "../gen/pulsar/v1/api_pb";
import { latencyRows, phaseRows } from "./series";

const point = create(PhaseSeriesPointSchema, {
  atUnixMs: 60_000n,
  uptimePct: 99.5,
  latency: [
    { phase: "dns", samples: 3n, p50Us: 1000n, p95Us: 2000n, p99Us: 3000n, meanUs: 1500n },
    { phase: "tls", samples: 0n, meanUs: 0n },
    { phase: "total", samples: 3n, p50Us: 10_000n, p95Us: 20_000n, p99Us: 30_000n, meanUs: 12_000n },
  ],
});

it("reads total percentiles in milliseconds", () => {
  expect(latencyRows([point])).toEqual([{ at: 60_000, p50: 10, p95: 20, p99: 30, uptime: 99.5 }]);
});

it("stacks phase means and leaves out phases no check reached", () => {
  expect(phaseRows([point])).toEqual([{ at: 60_000, dns: 1.5 }]);
});
