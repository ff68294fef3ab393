import { expect, it } from "vitest";
import { EVENT_TONES, eventLabel } from "./events";

it("reads every event the server announces, and any other in words", () => {
  expect(["down", "degraded", "recovered", "reminder", "certificate_expiring", "test"].map(eventLabel)).toEqual([
    "Down",
    "Degraded",
    "Recovered",
    "Still down (reminder)",
    "Certificate expiring",
    "Test",
  ]);
  expect(eventLabel("some_new_event")).toBe("Some new event");
  expect(eventLabel("")).toBe("—");
  expect(EVENT_TONES.test).toBeUndefined();
  expect(EVENT_TONES.recovered).toBe("up");
});
