import { expect, it } from "vitest";
import { sparklinePath, stripPaths } from "./sparkline";

it("draws the largest value at the top and the smallest at the bottom", () => {
  expect(sparklinePath([1, 3], 100, 20, 0)).toBe("M0.0 20.0L100.0 0.0");
});

it("breaks the line where a check did not finish", () => {
  expect(sparklinePath([2, null, 2], 10, 10, 0)).toBe("M0.0 10.0M10.0 10.0");
  expect(sparklinePath([null, null], 10, 10)).toBe("");
});

it("lays the newest check at the right end of the strip", () => {
  const paths = stripPaths(["up", "down"], 4, 40, 10, 0);
  expect(paths.get("up")).toBe("M20.00 0h10.00v10h-10.00z");
  expect(paths.get("down")).toBe("M30.00 0h10.00v10h-10.00z");
});

it("shows only the last slots of a longer history", () => {
  const paths = stripPaths([1, 1, 2], 2, 20, 5, 0);
  expect(paths.get(1)).toBe("M0.00 0h10.00v5h-10.00z");
  expect(paths.get(2)).toBe("M10.00 0h10.00v5h-10.00z");
});
