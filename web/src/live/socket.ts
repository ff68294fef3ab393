// The live connection to /ws: binary pulsar.v1.HubMessage frames, reconnect with capped
// exponential backoff and jitter, and a "resync" signal whenever events may have been
// missed (after every reconnect, and when the hub says it dropped some for us).
import { fromBinary, fromJsonString } from "@bufbuild/protobuf";
import { HubMessageSchema, type Event, type HubMessage } from "../gen/pulsar/v1/events_pb";

/** The subprotocol that asks the hub for binary protobuf frames (smaller, faster to decode). */
export const PROTO_SUBPROTOCOL = "pulsar.v1.proto";

export type LiveStatus =
  | { kind: "connecting"; attempt: number }
  | { kind: "live"; since: number; serverSkewMs: number }
  | { kind: "waiting"; attempt: number; retryAt: number; reason: string };

export interface LiveHandlers {
  onEvent(event: Event): void;
  /** Events may have been missed: refetch through the API. */
  onResync(why: "reconnected" | "dropped"): void;
  onStatus(status: LiveStatus): void;
}

/** The wait before reconnect attempt `attempt` (1-based): 0.5 s doubling to 15 s, ±20 %. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The /ws URL for a page at `location`, with the admin token when reads are private. */
export function socketUrl(location: { protocol: string; host: string }, token?: string | null): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}/ws${query}`;
}

export function decodeFrame(data: unknown): HubMessage | undefined {
  try {
    if (data instanceof ArrayBuffer) return fromBinary(HubMessageSchema, new Uint8Array(data));
    if (typeof data === "string") return fromJsonString(HubMessageSchema, data, { ignoreUnknownFields: true });
  } catch {
    // A frame this version cannot read is skipped; the next resync corrects the picture.
  }
  return undefined;
}

interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

type SocketFactory = (url: string) => WebSocket;

export class LiveSocket {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private everConnected = false;
  private retryTimer: unknown;
  private stopped = true;

  constructor(
    private readonly url: () => string,
    private readonly handlers: LiveHandlers,
    private readonly open: SocketFactory = (url) => new WebSocket(url, [PROTO_SUBPROTOCOL]),
    private readonly clock: Clock = realClock,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, "page closed");
  }

  /** Reconnects now instead of waiting out the backoff (the user asked, or the tab woke up). */
  retryNow(): void {
    if (this.stopped || this.socket) return;
    this.clock.clearTimeout(this.retryTimer);
    this.connect();
  }

  private connect(): void {
    this.attempt += 1;
    this.handlers.onStatus({ kind: "connecting", attempt: this.attempt });
    let socket: WebSocket;
    try {
      socket = this.open(this.url());
    } catch (error) {
      this.scheduleRetry(String(error));
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      const reason = close.reason || (close.code === 1001 ? "server restarting" : "connection lost");
      this.scheduleRetry(reason);
    };
    // onerror is always followed by onclose, which does the work.
    socket.onerror = () => {};
  }

  private receive(data: unknown): void {
    const message = decodeFrame(data);
    if (!message) return;
    switch (message.kind.case) {
      case "hello": {
        const serverMs = Number(message.kind.value.serverTimeUnixMs);
        this.attempt = 0;
        this.handlers.onStatus({ kind: "live", since: this.clock.now(), serverSkewMs: serverMs - this.clock.now() });
        // The first connection follows the page's own fetches; any later one may have missed events.
        if (this.everConnected) this.handlers.onResync("reconnected");
        this.everConnected = true;
        break;
      }
      case "event":
        this.handlers.onEvent(message.kind.value);
        break;
      case "resync":
        this.handlers.onResync("dropped");
        break;
      default:
        break;
    }
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped) return;
    // A connection that was live and dropped counts as the first failed attempt.
    const attempt = Math.max(1, this.attempt);
    const wait = backoffMs(attempt);
    this.handlers.onStatus({ kind: "waiting", attempt, retryAt: this.clock.now() + wait, reason });
    this.retryTimer = this.clock.setTimeout(() => this.connect(), wait);
  }
}
