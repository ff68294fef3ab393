import { expect, it } from "vitest";
import { FrameBatcher } from "./batcher";

it("delivers everything pushed within a frame as one batch", () => {
  const frames: (() => void)[] = [];
  const batches: number[][] = [];
  const batcher = new FrameBatcher<number>((b) => batches.push(b), {
    request: (fn) => {
      frames.push(fn);
      return () => {};
    },
  });
  for (let i = 0; i < 100; i++) batcher.push(i);
  expect(frames).toHaveLength(1);
  frames[0]?.();
  expect(batches).toHaveLength(1);
  expect(batches[0]).toHaveLength(100);
  batcher.push(100);
  expect(frames).toHaveLength(2);
  batcher.flush();
  expect(batches[1]).toEqual([100]);
});
