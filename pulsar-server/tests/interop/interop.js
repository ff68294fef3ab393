// Calls every RPC of every pulsar.v1 service through the official Connect client for Node,
// against a running `pulsar serve`, in one wire format:
//
//   node interop.js --base-url http://127.0.0.1:PORT --format json|binary [--version X.Y.Z]
//
// pulsar-server/tests/interop.rs generates ./gen from pulsar-core/proto and runs this once per
// format. It exits 0 when every step passed; otherwise it names the failed step and exits 1.
// Every address it uses is on 127.0.0.1: the server under test and the check target it starts.

import assert from "node:assert/strict";
import http from "node:http";
import { parseArgs } from "node:util";

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

import {
  AlertService,
  BadRequestSchema,
  HostService,
  MonitorService,
  SystemService,
} from "./gen/pulsar/v1/api_pb.js";
import { Outcome } from "./gen/pulsar/v1/check_pb.js";
import { BodyAssertionKind, MonitorState } from "./gen/pulsar/v1/monitor_pb.js";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string" },
    format: { type: "string" },
    version: { type: "string" },
  },
});
const baseUrl = args["base-url"];
const format = args.format;
assert.ok(baseUrl, "--base-url is required");
assert.ok(format === "json" || format === "binary", "--format must be json or binary");
const contentType = format === "json" ? "application/json" : "application/proto";

// The whole run stays well inside the Rust test's budget, even if a call hangs.
setTimeout(() => {
  console.error(`interop (${format}): timed out after 45 s`);
  process.exit(1);
}, 45_000).unref();

// Proves that every successful answer came back in the format asked for: a client that
// silently fell back to JSON would otherwise pass the binary run too.
let answered = 0;
const expectContentType = (next) => async (request) => {
  assert.equal(request.header.get("content-type"), contentType, request.method.name);
  const response = await next(request);
  assert.equal(response.header.get("content-type"), contentType, request.method.name);
  answered += 1;
  return response;
};

const transport = createConnectTransport({
  baseUrl,
  httpVersion: "1.1",
  useBinaryFormat: format === "binary",
  defaultTimeoutMs: 10_000,
  interceptors: [expectContentType],
});
const monitors = createClient(MonitorService, transport);
const hosts = createClient(HostService, transport);
const alerts = createClient(AlertService, transport);
const system = createClient(SystemService, transport);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MASK = "********";
const SECRET = `Bearer interop-${format}`;

/** Runs one named step; a failure names the step it happened in. */
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
  } catch (error) {
    console.error(`not ok - ${format} - ${name}`);
    throw error;
  }
  console.log(`ok - ${format} - ${name} (${Date.now() - started} ms)`);
}

/** The ConnectError a call fails with; fails itself if the call succeeds. */
async function rejection(call) {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ConnectError, `a ConnectError, not ${error}`);
    return error;
  }
  assert.fail("the call succeeded");
}

/** Calls `probe` every 200 ms until it answers something other than undefined. */
async function eventually(what, seconds, probe) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    assert.ok(Date.now() < deadline, `timed out after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A 64-bit time field (bigint) within a minute of now. */
function assertRecentMs(value, what) {
  assert.equal(typeof value, "bigint", `${what} is a bigint`);
  const skew = BigInt(Date.now()) - value;
  assert.ok(skew > -60_000n && skew < 60_000n, `${what} = ${value} is not near now`);
}

// The site the monitors check: "/" answers 200 (and records the Authorization header the
// check sent), "/down" answers 503.
const seenAuthorization = [];
const target = http.createServer((request, response) => {
  if (request.url === "/down") {
    response.writeHead(503).end("down\n");
    return;
  }
  seenAuthorization.push(request.headers.authorization);
  response.writeHead(200, { "content-type": "text/plain" }).end("pulsar interop target\n");
});
await new Promise((resolve) => target.listen(0, "127.0.0.1", resolve));
const targetUrl = `http://127.0.0.1:${target.address().port}`;

let monitor; // the UP monitor, as the server last answered it
let downMonitor; // a monitor whose target answers 503
let channel;

try {
  await step("SystemService.GetStatus", async () => {
    const status = await system.getStatus({});
    if (args.version) {
      assert.equal(status.version, args.version);
    }
    assert.equal(status.mode, "embedded");
    // `pulsar serve` runs checks itself, so it reports its own worker.
    assert.ok(status.workers.length >= 1, "a worker");
    assertRecentMs(status.workers[0].lastSeenUnixMs, "workers[0].lastSeenUnixMs");
    for (const field of ["queueDepth", "inFlight", "deadLetters", "rollupLag"]) {
      assert.equal(typeof status[field], "bigint", `${field} is a bigint`);
    }
  });

  await step("MonitorService.CreateMonitor", async () => {
    const { monitor: created } = await monitors.createMonitor({
      monitor: {
        name: `interop ${format}`,
        url: `${targetUrl}/`,
        headers: [
          { name: "Authorization", value: SECRET },
          { name: "X-Interop", value: format },
        ],
        intervalSeconds: 60,
        expectedStatus: [{ min: 200, max: 299 }],
        bodyAssertion: { kind: BodyAssertionKind.CONTAINS, pattern: "pulsar" },
        labels: { suite: "interop", format },
      },
    });
    assert.match(created.id, UUID);
    assert.equal(created.name, `interop ${format}`);
    // Secret header values go out masked; the rest as sent.
    assert.deepEqual(
      created.headers.map((h) => [h.name, h.value]),
      [
        ["Authorization", MASK],
        ["X-Interop", format],
      ],
    );
    assert.deepEqual(created.expectedStatus.map((r) => [r.min, r.max]), [[200, 299]]);
    assert.equal(created.bodyAssertion?.kind, BodyAssertionKind.CONTAINS);
    assert.deepEqual(created.labels, { suite: "interop", format });
    // Documented defaults, including an `optional bool` left unset.
    assert.equal(created.timeoutMs, 10_000);
    assert.equal(created.followRedirects, true);
    assert.equal(created.enabled, true);
    assertRecentMs(created.createdAtUnixMs, "createdAtUnixMs");
    monitor = created;
  });

  await step("MonitorService.GetMonitor", async () => {
    const { monitor: got } = await monitors.getMonitor({ id: monitor.id });
    // The state may have moved on (the first check runs at once); the rest is as created.
    assert.deepEqual({ ...got, state: 0, updatedAtUnixMs: 0n }, {
      ...monitor,
      state: 0,
      updatedAtUnixMs: 0n,
    });
  });

  await step("MonitorService.GetMonitor of an unknown id is not_found", async () => {
    const error = await rejection(
      monitors.getMonitor({ id: "00000000-0000-4000-8000-000000000000" }),
    );
    assert.equal(error.code, Code.NotFound, error.message);
  });

  await step("MonitorService.CreateMonitor of an invalid URL is invalid_argument", async () => {
    const error = await rejection(
      monitors.createMonitor({ monitor: { name: `invalid ${format}`, url: "ftp://x" } }),
    );
    assert.equal(error.code, Code.InvalidArgument, error.message);
    // The BadRequest detail decodes with the generated schema and names the field.
    const [detail] = error.findDetails(BadRequestSchema);
    assert.ok(detail, "a pulsar.v1.BadRequest detail");
    assert.deepEqual(
      detail.fieldViolations.map((v) => v.field),
      ["monitor.url"],
    );
    assert.ok(detail.fieldViolations[0].description.length > 0);
  });

  await step("MonitorService.ListMonitors", async () => {
    const { monitors: listed, nextPageToken } = await monitors.listMonitors({
      labels: { suite: "interop", format },
      text: "INTEROP",
    });
    assert.deepEqual(listed.map((m) => m.id), [monitor.id]);
    assert.equal(nextPageToken, "");
    // An `optional` enum filter: nothing of ours is paused yet.
    const paused = await monitors.listMonitors({
      labels: { format },
      state: MonitorState.PAUSED,
    });
    assert.deepEqual(paused.monitors, []);
  });

  await step("MonitorService.UpdateMonitor", async () => {
    // A full replace that sends the masked secret back, which keeps the stored one.
    const { monitor: updated } = await monitors.updateMonitor({
      monitor: { ...monitor, intervalSeconds: 30, degradedAboveMs: 5_000 },
    });
    assert.equal(updated.id, monitor.id);
    assert.equal(updated.intervalSeconds, 30);
    assert.equal(updated.degradedAboveMs, 5_000);
    assert.equal(updated.headers[0].value, MASK);
    assert.ok(updated.updatedAtUnixMs >= monitor.createdAtUnixMs);
    monitor = updated;
  });

  await step("MonitorService.PauseMonitor", async () => {
    const { monitor: paused } = await monitors.pauseMonitor({ id: monitor.id });
    assert.equal(paused.state, MonitorState.PAUSED);
    assert.equal(paused.enabled, false);
    const listed = await monitors.listMonitors({
      labels: { format },
      state: MonitorState.PAUSED,
    });
    assert.deepEqual(listed.monitors.map((m) => m.id), [monitor.id]);
  });

  await step("MonitorService.ResumeMonitor", async () => {
    const { monitor: resumed } = await monitors.resumeMonitor({ id: monitor.id });
    assert.equal(resumed.enabled, true);
    assert.notEqual(resumed.state, MonitorState.PAUSED);
    monitor = resumed;
  });

  let manual;
  await step("MonitorService.CheckNow", async () => {
    const { result } = await monitors.checkNow({ id: monitor.id });
    assert.equal(result.monitorId, monitor.id);
    assert.equal(result.outcome, Outcome.UP, result.message);
    assert.equal(result.manual, true);
    assert.equal(result.statusCode, 200);
    assert.equal(typeof result.phases?.totalUs, "bigint");
    assert.ok(result.phases.totalUs > 0n);
    assert.equal(result.bodyBytes, BigInt("pulsar interop target\n".length));
    assertRecentMs(result.startedAtUnixMs, "startedAtUnixMs");
    // The check sent the stored secret, not the mask the update sent back.
    assert.equal(seenAuthorization.at(-1), SECRET);
    // A second manual check right away is refused until a few seconds have passed.
    const error = await rejection(monitors.checkNow({ id: monitor.id }));
    assert.equal(error.code, Code.ResourceExhausted, error.message);
    manual = result;
  });

  await step("MonitorService.ListResults", async () => {
    const { results } = await monitors.listResults({
      monitorId: monitor.id,
      fromUnixMs: BigInt(Date.now() - 3_600_000),
    });
    const found = results.find(
      (r) => r.manual && r.startedAtUnixMs === manual.startedAtUnixMs,
    );
    assert.ok(found, "the manual check among the results");
    assert.equal(found.phases?.totalUs, manual.phases.totalUs);
    assert.ok(results.every((r) => r.monitorId === monitor.id));
  });

  await step("MonitorService.GetSummaries", async () => {
    const { windows } = await monitors.getSummaries({ monitorIds: [monitor.id] });
    assert.deepEqual(
      windows.map((w) => w.windowSeconds),
      [3_600, 86_400, 604_800, 2_592_000],
    );
    for (const window of windows) {
      assert.deepEqual(window.summaries.map((s) => s.monitorId), [monitor.id]);
      assert.equal(typeof window.summaries[0].checks, "bigint");
      assert.ok(window.summaries[0].toUnixMs > window.summaries[0].fromUnixMs);
    }
    const one = await monitors.getSummaries({
      monitorIds: [monitor.id],
      windowSeconds: [600],
    });
    assert.deepEqual(one.windows.map((w) => w.windowSeconds), [600]);
  });

  await step("MonitorService.GetPhaseSeries", async () => {
    const series = await monitors.getPhaseSeries({
      monitorId: monitor.id,
      fromUnixMs: BigInt(Date.now() - 3_600_000),
    });
    assert.equal(series.stepMs, 60_000n);
    for (const point of series.points) {
      assert.equal(typeof point.atUnixMs, "bigint");
      assert.equal(point.checks, point.up + point.degraded + point.down);
    }
  });

  await step("an incident opens when a monitor goes down", async () => {
    ({ monitor: downMonitor } = await monitors.createMonitor({
      monitor: {
        name: `interop ${format} down`,
        url: `${targetUrl}/down`,
        intervalSeconds: 1,
        timeoutMs: 800,
        failureThreshold: 1,
        labels: { suite: "interop", format },
      },
    }));
    await eventually("the monitor to go down", 15, async () => {
      const { monitor: got } = await monitors.getMonitor({ id: downMonitor.id });
      return got.state === MonitorState.DOWN ? got : undefined;
    });
    const { results } = await monitors.listResults({ monitorId: downMonitor.id });
    assert.ok(results.length >= 1);
    assert.equal(results[0].outcome, Outcome.DOWN);
    assert.equal(results[0].statusCode, 503);
    assert.equal(results[0].manual, false);
  });

  await step("MonitorService.GetOverview", async () => {
    const overview = await monitors.getOverview({ pageSize: 1_000 });
    const mine = new Map(
      overview.monitors
        .filter((m) => m.monitor?.labels.format === format)
        .map((m) => [m.monitor.id, m]),
    );
    assert.deepEqual([...mine.keys()].sort(), [monitor.id, downMonitor.id].sort());
    const down = mine.get(downMonitor.id);
    assert.equal(down.monitor.state, MonitorState.DOWN);
    assert.equal(down.latest?.outcome, Outcome.DOWN);
    assert.ok(down.recentOutcomes.includes(Outcome.DOWN));
    assert.ok(down.recentTotalUs.every((us) => typeof us === "bigint"));
    assert.ok(overview.down >= 1);
    assert.ok(overview.openIncidents >= 1);
    const counted =
      overview.up + overview.degraded + overview.down + overview.paused + overview.unknown;
    assert.equal(counted, overview.monitors.length);
  });

  let host;
  await step("HostService.ListHosts", async () => {
    // `pulsar serve` samples its own host (every second in this test).
    const entry = await eventually("a host", 15, async () => {
      const { hosts: listed } = await hosts.listHosts({});
      return listed[0];
    });
    assert.ok(entry.host.length > 0);
    assertRecentMs(entry.lastSeenUnixMs, "lastSeenUnixMs");
    host = entry.host;
  });

  await step("HostService.GetHostSnapshot", async () => {
    const { snapshot } = await hosts.getHostSnapshot({ host });
    // Stored under its `host` identity, which is the hostname when unset.
    assert.equal(snapshot?.host || snapshot?.hostname, host);
    assertRecentMs(snapshot.takenAtUnixMs, "takenAtUnixMs");
    assert.equal(typeof snapshot.memory?.totalBytes, "bigint");
    assert.ok(snapshot.memory.totalBytes > 0n);
    const error = await rejection(hosts.getHostSnapshot({ host: "no-such-host" }));
    assert.equal(error.code, Code.NotFound, error.message);
  });

  await step("HostService.GetHostSeries", async () => {
    const series = await eventually("a point of host history", 10, async () => {
      const answer = await hosts.getHostSeries({
        host,
        fromUnixMs: BigInt(Date.now() - 600_000),
      });
      return answer.points.length > 0 ? answer : undefined;
    });
    assert.ok(series.stepMs > 0n);
    assert.equal(typeof series.points[0].atUnixMs, "bigint");
    assert.ok(series.points.every((p) => p.samples >= 1n));
  });

  await step("AlertService.CreateChannel", async () => {
    ({ channel } = await alerts.createChannel({
      channel: {
        name: `interop ${format}`,
        kind: "webhook",
        enabled: true,
        config: { url: `${targetUrl}/hook`, format: "json" },
      },
    }));
    assert.equal(typeof channel.id, "bigint");
    assert.ok(channel.id > 0n);
    assert.equal(channel.config.url, MASK, "secrets are masked");
    assert.equal(channel.config.format, "json");
    assertRecentMs(channel.createdAtUnixMs, "createdAtUnixMs");
  });

  await step("AlertService.GetChannel", async () => {
    const { channel: got } = await alerts.getChannel({ id: channel.id });
    assert.deepEqual(got, channel);
  });

  await step("AlertService.UpdateChannel", async () => {
    // Sends the masked URL back, which keeps the stored one.
    const { channel: updated } = await alerts.updateChannel({
      channel: { ...channel, config: { ...channel.config, format: "text" } },
    });
    assert.equal(updated.id, channel.id);
    assert.deepEqual(updated.config, { url: MASK, format: "text" });
    channel = updated;
  });

  await step("AlertService.ListChannels", async () => {
    const { channels } = await alerts.listChannels({});
    const mine = channels.find((c) => c.id === channel.id);
    assert.deepEqual(mine?.config, { url: MASK, format: "text" });
  });

  await step("AlertService.SetChannelRouting", async () => {
    const { routing } = await alerts.setChannelRouting({
      routing: {
        channelId: channel.id,
        labels: { format },
        monitorIds: [downMonitor.id],
      },
    });
    assert.equal(routing?.channelId, channel.id);
    assert.equal(routing.allMonitors, false);
    assert.deepEqual(routing.labels, { format });
    assert.deepEqual(routing.monitorIds, [downMonitor.id]);
  });

  await step("AlertService.GetChannelRouting", async () => {
    const { routing } = await alerts.getChannelRouting({ channelId: channel.id });
    assert.equal(routing?.channelId, channel.id);
    assert.deepEqual(routing.labels, { format });
    assert.deepEqual(routing.monitorIds, [downMonitor.id]);
  });

  await step("AlertService.ListIncidents", async () => {
    const { incidents } = await alerts.listIncidents({
      monitorId: downMonitor.id,
      openOnly: true,
    });
    assert.equal(incidents.length, 1);
    const [incident] = incidents;
    assert.equal(typeof incident.id, "bigint");
    assert.equal(incident.monitorId, downMonitor.id);
    assert.equal(incident.state, MonitorState.DOWN);
    assert.equal(incident.closedAtUnixMs, 0n, "still open");
    assertRecentMs(incident.openedAtUnixMs, "openedAtUnixMs");
    assert.ok(incident.cause.length > 0);
  });

  await step("AlertService.ListHostIncidents", async () => {
    // This host fires nothing in a healthy run; the call and its page are what is checked.
    const { incidents, nextPageToken } = await alerts.listHostIncidents({
      openOnly: true,
      pageSize: 10,
    });
    assert.ok(Array.isArray(incidents));
    assert.ok(incidents.every((i) => typeof i.id === "bigint" && i.closedAtUnixMs === 0n));
    assert.equal(nextPageToken, "");
    const error = await rejection(alerts.listHostIncidents({ pageToken: "nonsense" }));
    assert.equal(error.code, Code.InvalidArgument, error.message);
  });

  await step("AlertService.ListDeliveries", async () => {
    const { deliveries, nextPageToken } = await alerts.listDeliveries({
      channelId: channel.id,
      monitorId: downMonitor.id,
    });
    // Whatever was delivered is this channel's.
    assert.ok(deliveries.every((d) => d.channelId === channel.id));
    assert.equal(nextPageToken, "");
  });

  await step("AlertService.TestChannel", async () => {
    // The channel points at the target, which takes any request: the attempt is made,
    // logged, and answered with what the receiver replied.
    const { delivery } = await alerts.testChannel({ id: channel.id });
    assert.equal(delivery?.channelId, channel.id);
    assert.equal(delivery.event, "test");
    assert.equal(delivery.attempt, 1);
    assert.equal(delivery.success, true);
    assert.equal(delivery.detail, "HTTP 200: pulsar interop target");
    assert.equal(typeof delivery.latencyUs, "bigint");
  });

  // A window a day ahead, so it mutes nothing in this run.
  let window;
  const dayAhead = BigInt(Date.now() + 86_400_000);
  await step("AlertService.CreateMaintenanceWindow", async () => {
    ({ window } = await alerts.createMaintenanceWindow({
      window: {
        name: `interop window ${format}`,
        schedule: {
          case: "once",
          value: { startUnixMs: dayAhead, endUnixMs: dayAhead + 3_600_000n },
        },
        monitorIds: [downMonitor.id],
      },
    }));
    assert.equal(typeof window?.id, "bigint");
    assert.equal(window.schedule.case, "once");
    assert.equal(window.schedule.value.endUnixMs, dayAhead + 3_600_000n);
    const error = await rejection(
      alerts.createMaintenanceWindow({ window: { name: "no schedule" } }),
    );
    assert.equal(error.code, Code.InvalidArgument, error.message);
  });

  await step("AlertService.UpdateMaintenanceWindow", async () => {
    const weekly = { days: [5, 6], startMinute: 120, durationMinutes: 60, utcOffsetMinutes: 60 };
    const { window: updated } = await alerts.updateMaintenanceWindow({
      window: {
        id: window.id,
        name: window.name,
        schedule: { case: "weekly", value: weekly },
        monitorIds: window.monitorIds,
      },
    });
    assert.equal(updated?.id, window.id);
    assert.equal(updated.schedule.case, "weekly");
    assert.deepEqual(updated.schedule.value.days, [5, 6]);
    assert.equal(updated.schedule.value.utcOffsetMinutes, 60);
  });

  await step("AlertService.ListMaintenanceWindows", async () => {
    const { windows, activeIds } = await alerts.listMaintenanceWindows({});
    assert.ok(windows.some((w) => w.id === window.id));
    assert.ok(activeIds.every((id) => typeof id === "bigint"));
  });

  await step("AlertService.DeleteMaintenanceWindow", async () => {
    await alerts.deleteMaintenanceWindow({ id: window.id });
    const { windows } = await alerts.listMaintenanceWindows({});
    assert.ok(!windows.some((w) => w.id === window.id));
  });

  await step("AlertService.DeleteChannel", async () => {
    await alerts.deleteChannel({ id: channel.id });
    const error = await rejection(alerts.getChannel({ id: channel.id }));
    assert.equal(error.code, Code.NotFound, error.message);
  });

  await step("MonitorService.DeleteMonitor", async () => {
    for (const { id } of [monitor, downMonitor]) {
      await monitors.deleteMonitor({ id });
      const error = await rejection(monitors.getMonitor({ id }));
      assert.equal(error.code, Code.NotFound, error.message);
    }
  });
} catch (error) {
  console.error(error.stack ?? error);
  process.exit(1);
}

console.log(`interop (${format}): every step passed, ${answered} answers in ${contentType}`);
target.closeAllConnections();
target.close();
process.exit(0);
