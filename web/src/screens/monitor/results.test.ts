import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { CheckResultSchema } from "../../gen/pulsar/v1/check_pb";
import { RESULTS_PAGE, withNewResult } from "./results";

const r = (started: number, manual = false) =>
  create(CheckResultSchema, { slotUnixMs: BigInt(started), startedAtUnixMs: BigInt(started), manual });

it("adds a live result once, newest first, and keeps the page size", () => {
  let list = [r(3000), r(2000)];
  list = withNewResult(list, r(4000));
  expect(list.map((x) => Number(x.startedAtUnixMs))).toEqual([4000, 3000, 2000]);
  expect(withNewResult(list, r(4000))).toBe(list);
  list = withNewResult(list, r(2500, true));
  expect(list.map((x) => Number(x.startedAtUnixMs))).toEqual([4000, 3000, 2500, 2000]);
  const full = Array.from({ length: RESULTS_PAGE }, (_, i) => r((RESULTS_PAGE - i) * 10));
  expect(withNewResult(full, r(1_000_000))).toHaveLength(RESULTS_PAGE);
});
