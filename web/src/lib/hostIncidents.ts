// Host incidents (HostIncident, opened and closed by the host alert rules of pulsar-core's
// host_rules.rs) in words: "disk_full:/data" reads "Disk full · /data". Pure and unit-tested.

/** Each rule key the server judges a host on, as a person reads it. */
export const HOST_RULE_LABELS: Record<string, string> = {
  cpu_busy: "CPU busy",
  memory_low: "Memory low",
  disk_full: "Disk full",
  inodes_full: "Inodes full",
  zombies: "Zombie processes",
  threads: "Threads near the limit",
  load: "High load",
  silent: "Host silent",
};

/** A condition key split into its rule and what it is about (a mount point, or ""). */
export interface HostCondition {
  rule: string;
  subject: string;
}

/**
 * `rule` or `rule:subject` as its parts. Rule keys hold no colon, so the first one splits:
 * a mount point may itself hold more.
 */
export function parseCondition(condition: string): HostCondition {
  const colon = condition.indexOf(":");
  if (colon === -1) return { rule: condition, subject: "" };
  return { rule: condition.slice(0, colon), subject: condition.slice(colon + 1) };
}

/** A rule in words; one this page does not know yet (a newer server) in its own words. */
export function ruleLabel(rule: string): string {
  const known = HOST_RULE_LABELS[rule];
  if (known) return known;
  const words = rule.replaceAll("_", " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "—";
}

/** "disk_full:/data" as "Disk full · /data", "memory_low" as "Memory low". */
export function conditionLabel(condition: string): string {
  const { rule, subject } = parseCondition(condition);
  return subject ? `${ruleLabel(rule)} · ${subject}` : ruleLabel(rule);
}

/** Whether it still fires: the server leaves closed_at at 0 until the condition resolves. */
export function isFiring(incident: { closedAtUnixMs: bigint }): boolean {
  return incident.closedAtUnixMs === 0n;
}

/** How long it fired, in seconds: until `nowMs` while it still does; never negative. */
export function firedSeconds(incident: { openedAtUnixMs: bigint; closedAtUnixMs: bigint }, nowMs: number): number {
  const end = isFiring(incident) ? nowMs : Number(incident.closedAtUnixMs);
  return Math.max(0, (end - Number(incident.openedAtUnixMs)) / 1000);
}
