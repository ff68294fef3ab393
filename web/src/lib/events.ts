// What a notification announced (Delivery.event, pulsar-core notice.rs NoticeEvent) as words
// and a tone, for the delivery log.
import type { StateKey as Tone } from "./states";

export const EVENT_LABELS: Record<string, string> = {
  down: "Down",
  degraded: "Degraded",
  recovered: "Recovered",
  reminder: "Still down (reminder)",
  certificate_expiring: "Certificate expiring",
  host_alert: "Host alert",
  host_resolved: "Host resolved",
  test: "Test",
};

/** The tone an event is shown in; a test has none. */
export const EVENT_TONES: Record<string, Tone | undefined> = {
  down: "down",
  degraded: "degraded",
  recovered: "up",
  reminder: "down",
  certificate_expiring: "degraded",
  host_alert: "degraded",
  host_resolved: "up",
};

/** "certificate_expiring" as "Certificate expiring"; an event this page does not know, in words. */
export function eventLabel(event: string): string {
  const known = EVENT_LABELS[event];
  if (known) return known;
  const words = event.replaceAll("_", " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "—";
}
