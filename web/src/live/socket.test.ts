import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { HubMessageSchema } from "../gen/pulsar/v1/events_pb";
import { LiveSocket, backoffMs, socketUrl, type LiveStatus } from "./socket";

describe("backoff", () => {
  it("doubles from half a second and caps at 15 s", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((a) => backoffMs(a, mid))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
  });

  it("spreads clients out by ±20 %", () => {
    expect(backoffMs(3, () => 0)).toBe(1600);
    expect(backoffMs(3, () => 1)).toBe(2400);
  });
});

it("builds the socket URL from the page's location", () => {
  expect(socketUrl({ protocol: "http:", host: "127.0.0.1:8080" })).toBe("ws://127.0.0.1:8080/ws");
  expect(socketUrl({ protocol: "https:", host: "p.example" }, "a b")).toBe("wss://p.example/ws?token=a%20b");
});

/** A stand-in WebSocket the test drives by hand. */
class FakeSocket {
  binaryType = "blob";
  onmessage: ((m: { data: unknown }) => void) | null = null;
  onclose: ((c: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  close() {
    this.closed = true;
  }
  send(message: Parameters<typeof create<typeof HubMessageSchema>>[1]) {
    const bytes = toBinary(HubMessageSchema, create(HubMessageSchema, message));
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const statuses: LiveStatus[] = [];
  const resyncs: string[] = [];
  const events: unknown[] = [];
  let now = 1000;
  const live = new LiveSocket(
    () => "ws://test/ws",
    { onEvent: (e) => events.push(e), onResync: (why) => resyncs.push(why), onStatus: (s) => statuses.push(s) },
    () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    { now: () => now, setTimeout: (fn, ms) => timers.push({ fn, ms }), clearTimeout: () => {} },
  );
  return { live, sockets, timers, statuses, resyncs, events, tick: (ms: number) => (now += ms) };
}

describe("LiveSocket", () => {
  it("goes live on hello, forwards events, and resyncs only after a reconnect", () => {
    const h = harness();
    h.live.start();
    h.sockets[0]?.send({ kind: { case: "hello", value: { serverTimeUnixMs: 1500n } } });
    expect(h.statuses.at(-1)).toMatchObject({ kind: "live", serverSkewMs: 500 });
    expect(h.resyncs).toEqual([]);
    h.sockets[0]?.send({ kind: { case: "event", value: { kind: { case: "hostSampled", value: { hostId: "h" } } } } });
    expect(h.events).toHaveLength(1);

    h.sockets[0]?.onclose?.({ code: 1001, reason: "" });
    expect(h.statuses.at(-1)).toMatchObject({ kind: "waiting", reason: "server restarting" });
    expect(h.timers).toHaveLength(1);
    h.timers[0]?.fn();
    expect(h.sockets).toHaveLength(2);
    h.sockets[1]?.send({ kind: { case: "hello", value: { serverTimeUnixMs: 1000n } } });
    expect(h.resyncs).toEqual(["reconnected"]);
  });

  it("backs off further with each failed attempt and starts over once live", () => {
    const h = harness();
    h.live.start();
    for (let i = 0; i < 3; i++) {
      h.sockets.at(-1)?.onclose?.({ code: 1006, reason: "" });
      h.timers.at(-1)?.fn();
    }
    const waits = h.statuses.filter((s) => s.kind === "waiting").map((s) => s.attempt);
    expect(waits).toEqual([1, 2, 3]);
    h.sockets.at(-1)?.send({ kind: { case: "hello", value: {} } });
    h.sockets.at(-1)?.onclose?.({ code: 1006, reason: "" });
    expect(h.statuses.at(-1)).toMatchObject({ kind: "waiting", attempt: 1 });
  });

  it("passes on the hub's resync", () => {
    const h = harness();
    h.live.start();
    h.sockets[0]?.send({ kind: { case: "resync", value: { missed: 12n } } });
    expect(h.resyncs).toEqual(["dropped"]);
  });

  it("stops for good", () => {
    const h = harness();
    h.live.start();
    h.live.stop();
    expect(h.sockets[0]?.closed).toBe(true);
    h.sockets[0]?.onclose?.({ code: 1000, reason: "" });
    expect(h.timers).toHaveLength(0);
  });
});
