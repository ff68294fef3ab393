// A monitor's state as one of five keys: the tone it is shown in, the count it adds to,
// the filter that selects it.
import { MonitorState } from "../gen/pulsar/v1/monitor_pb";

export type StateKey = "up" | "degraded" | "down" | "paused" | "unknown";

export function stateKey(state: MonitorState): StateKey {
  switch (state) {
    case MonitorState.UP:
      return "up";
    case MonitorState.DEGRADED:
      return "degraded";
    case MonitorState.DOWN:
      return "down";
    case MonitorState.PAUSED:
      return "paused";
    default:
      return "unknown";
  }
}
