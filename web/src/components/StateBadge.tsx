// A monitor's state or a check's outcome: always icon + word + colour, never colour alone.
import { CircleCheck, CircleHelp, CirclePause, CircleX, TriangleAlert, type LucideIcon } from "lucide-react";
import { Outcome } from "../gen/pulsar/v1/check_pb";
import { MonitorState } from "../gen/pulsar/v1/monitor_pb";
import { stateKey, type StateKey } from "../lib/states";
import { cx } from "./ui";

export type Tone = StateKey;

export const TONE_TEXT: Record<Tone, string> = {
  up: "text-up",
  degraded: "text-degraded",
  down: "text-down",
  paused: "text-paused",
  unknown: "text-unknown",
};

export const TONE_BG: Record<Tone, string> = {
  up: "bg-up",
  degraded: "bg-degraded",
  down: "bg-down",
  paused: "bg-paused",
  unknown: "bg-unknown",
};

export const TONE_ICON: Record<Tone, LucideIcon> = {
  up: CircleCheck,
  degraded: TriangleAlert,
  down: CircleX,
  paused: CirclePause,
  unknown: CircleHelp,
};

export const TONE_LABEL: Record<Tone, string> = {
  up: "Up",
  degraded: "Degraded",
  down: "Down",
  paused: "Paused",
  unknown: "Pending",
};

/** The tone of a monitor state (see `stateKey`). */
export const stateTone: (state: MonitorState) => Tone = stateKey;

export function outcomeTone(outcome: Outcome): Tone {
  switch (outcome) {
    case Outcome.UP:
      return "up";
    case Outcome.DEGRADED:
      return "degraded";
    case Outcome.DOWN:
      return "down";
    default:
      return "unknown";
  }
}

export function ToneBadge({ tone, label, className }: { tone: Tone; label?: string; className?: string }) {
  const Icon = TONE_ICON[tone];
  return (
    <span className={cx("inline-flex items-center gap-1 font-medium whitespace-nowrap", TONE_TEXT[tone], className)}>
      <Icon aria-hidden="true" className="size-4 shrink-0" />
      <span>{label ?? TONE_LABEL[tone]}</span>
    </span>
  );
}

export function StateBadge({ state, className }: { state: MonitorState; className?: string }) {
  return <ToneBadge tone={stateTone(state)} className={className} />;
}

export function OutcomeBadge({ outcome, className }: { outcome: Outcome; className?: string }) {
  return <ToneBadge tone={outcomeTone(outcome)} label={outcome === Outcome.UNSPECIFIED ? "—" : undefined} className={className} />;
}
