import { expect, it } from "vitest";
import { matchRoute, paths } from "./routes";

it("matches every screen and round-trips its path", () => {
  const id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  expect(matchRoute(paths.overview())).toEqual({ name: "overview" });
  expect(matchRoute(paths.monitor(id))).toEqual({ name: "monitor", id });
  expect(matchRoute(paths.editMonitor(id))).toEqual({ name: "edit-monitor", id });
  expect(matchRoute(paths.newMonitor())).toEqual({ name: "new-monitor" });
  expect(matchRoute("/hosts/")).toEqual({ name: "hosts" });
  expect(matchRoute("/alerts")).toEqual({ name: "alerts" });
  expect(matchRoute("/status")).toEqual({ name: "status" });
  expect(matchRoute("/nope/deeper")).toEqual({ name: "not-found", path: "/nope/deeper" });
});
