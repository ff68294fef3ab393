import { expect, it } from "vitest";
import { filterFromSearch, searchFromFilter } from "./filterParams";

it("round-trips the overview's filters through the URL", () => {
  const filter = filterFromSearch("?state=down,bogus,up&label=env%3Dprod&q=api");
  expect([...filter.states]).toEqual(["down", "up"]);
  expect(filter.label).toBe("env=prod");
  expect(searchFromFilter(filter)).toBe("?state=up%2Cdown&label=env%3Dprod&q=api");
  expect(searchFromFilter(filterFromSearch(""))).toBe("");
});
