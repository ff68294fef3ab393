import { expect, it } from "vitest";
import { channelErrors, channelForm, channelFromForm, validateChannel } from "./channelForm";

it("checks channels as the server does", () => {
  expect(validateChannel({ ...channelForm(), name: "ops" })).toEqual({});
  expect(Object.keys(validateChannel({ ...channelForm(), name: " ", kind: "Web Hook" }))).toEqual(["name", "kind"]);
  expect(validateChannel({ ...channelForm(), name: "x", config: [{ key: "", value: "v" }] })).toEqual({ "config.": "keys are 1..=64 bytes" });
});

it("keeps int64 ids as bigints and drops empty config rows", () => {
  const channel = channelFromForm({ ...channelForm(), id: 9007199254740993n, name: "ops", config: [{ key: "url", value: "http://x" }, { key: "", value: "" }] });
  expect(channel.id).toBe(9007199254740993n);
  expect(channel.config).toEqual({ url: "http://x" });
  expect(channelErrors([{ field: "channel.config.url", description: "bad" }])).toEqual({ "config.url": "bad" });
});
