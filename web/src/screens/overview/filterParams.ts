// The overview's filters live in the URL (?state=down,degraded&label=env=prod&q=api), so a
// filtered view can be shared and survives going to a monitor and back.
import type { OverviewFilter, StateCounts } from "../../live/overview";

const STATES = ["up", "degraded", "down", "paused", "unknown"] as const;

export function filterFromSearch(search: string): OverviewFilter {
  const params = new URLSearchParams(search);
  const states = (params.get("state") ?? "")
    .split(",")
    .filter((s): s is keyof StateCounts => (STATES as readonly string[]).includes(s));
  return { states: new Set(states), label: params.get("label") ?? "", text: params.get("q") ?? "" };
}

export function searchFromFilter(filter: OverviewFilter): string {
  const params = new URLSearchParams();
  if (filter.states.size > 0) params.set("state", STATES.filter((s) => filter.states.has(s)).join(","));
  if (filter.label) params.set("label", filter.label);
  if (filter.text) params.set("q", filter.text);
  const text = params.toString();
  return text ? `?${text}` : "";
}
