// The dashboard end to end, in headless chromium against a real `pulsar serve`:
// create a monitor through the form (client and server validation on the way), see it come
// up live, open its detail and waterfall, check now, pause, look at the hosts and the host
// alert the run's config makes fire (on the host and on the Alerts page), add and edit
// maintenance windows (one open now, whose checks then read as in maintenance), edit and add
// notification channels through their kind's fields and send tests (one delivered, one
// not), restart the server and see the page reconnect, delete with the admin token asked
// for, and screenshot every screen on desktop and phone in both themes (e2e/artifacts/).
//
//   npm run build && npm run e2e        PULSAR_BIN=path/to/pulsar  CHROMIUM=path/to/chromium
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, PULSAR_BIN, launchBrowser, newPage, rpc, startServer, startTarget } from "./support.mjs";
import { takeScreenshots } from "./screenshots.mjs";
import { measureLongTasks } from "./perf.mjs";

const TOKEN = "e2e-admin-token";
const NAME = "e2e-redirect";

// Only this run's pictures: a stale failure.png from an earlier run would mislead.
rmSync(ARTIFACTS, { recursive: true, force: true });
mkdirSync(ARTIFACTS, { recursive: true });
const deadline = setTimeout(() => {
  console.error("e2e: timed out after 6 minutes");
  process.exit(1);
}, 6 * 60_000);

const target = await startTarget();
const server = await startServer();
const browser = await launchBrowser();
const errors = [];
const page = await newPage(browser, {}, errors);
let current = "start";
let passed = 0;

async function step(name, body) {
  current = name;
  const started = Date.now();
  await body();
  passed += 1;
  console.log(`ok ${passed} - ${name} (${Date.now() - started} ms)`);
}

const expect = (ok, message) => {
  if (!ok) throw new Error(message);
};
const connection = () => page.getByTestId("connection");
const row = (name) => page.locator(`[data-testid=monitor-row][data-monitor="${name}"]`);
const mainNav = (label) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label });
/** How many checks the row's 90-check strip holds, from its accessible summary. */
const stripCount = async (name) => {
  const label = (await row(name).locator("svg[role=img]").last().getAttribute("aria-label")) ?? "";
  return Number(/Last (\d+) checks/.exec(label)?.[1] ?? 0);
};

try {
  await step("the overview loads and goes live", async () => {
    await page.goto(server.baseUrl);
    await page.getByRole("heading", { name: "Monitors" }).waitFor();
    await page.locator("[data-testid=connection][data-state=live]").waitFor({ timeout: 10_000 });
  });

  await step("the form shows client-side errors beside their fields", async () => {
    await page.getByRole("link", { name: "New monitor" }).click();
    await page.getByRole("button", { name: "Create monitor" }).click();
    const nameError = page.getByTestId("error-name");
    await nameError.waitFor();
    expect((await nameError.textContent())?.includes("must not be empty"), "no error beside the name");
    expect(await page.getByLabel("Name", { exact: true }).evaluate((el) => el === document.activeElement), "focus did not move to the first wrong field");
  });

  await step("the server's field violations land beside their fields", async () => {
    await page.getByLabel("Name", { exact: true }).fill(NAME);
    await page.getByLabel("URL", { exact: true }).fill(`${target.url}/to-https`);
    await page.getByLabel("Interval (seconds)").fill("2");
    await page.getByLabel("Timeout (ms)").fill("1000");
    // JavaScript cannot judge a Rust regex, so only the server refuses this one.
    await page.getByLabel("Body must").selectOption({ label: "match the regular expression" });
    await page.getByLabel("Pattern").fill("(unclosed");
    await page.getByRole("button", { name: "Create monitor" }).click();
    const patternError = page.getByTestId("error-body_assertion.pattern");
    await patternError.waitFor({ timeout: 10_000 });
    expect(((await patternError.textContent()) ?? "").length > 3, "the server's reason is missing");
  });

  await step("a monitor is created through the form", async () => {
    await page.getByLabel("Body must").selectOption({ label: "(no check of the body)" });
    // The https hop's certificate is self-signed: trust it as the monitor's own CA.
    if (target.caPem) await page.getByLabel("Extra CA certificates (PEM)").fill(target.caPem);
    await page.getByRole("button", { name: "Add label" }).click();
    await page.getByLabel("Key 1", { exact: true }).fill("env");
    await page.getByLabel("Value 1", { exact: true }).fill("e2e");
    await page.getByLabel("Warn before the certificate expires (days)").fill("3, 21");
    await page.getByLabel("Remind every (minutes)").fill("15");
    await page.getByRole("button", { name: "Create monitor" }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/, { timeout: 10_000 });
    await page.getByRole("heading", { name: NAME }).waitFor();
  });

  await step("its first check arrives live, with a two-hop waterfall", async () => {
    const waterfall = page.getByTestId("waterfall");
    await waterfall.waitFor({ timeout: 15_000 });
    await waterfall.getByText("Hop 2").waitFor({ timeout: 10_000 });
    const text = (await waterfall.textContent()) ?? "";
    expect(/total \d+(\.\d+)? ms/.test(text), `no total in the waterfall: ${text}`);
    expect(/TTFB\s*\d+(\.\d+)? ms/.test(text), `no TTFB in ms in the waterfall: ${text}`);
    if (target.caPem) {
      expect(/TLS\s*\d+(\.\d+)? ms/.test(text), `no TLS phase on the https hop: ${text}`);
      await page.getByTestId("tls-days").waitFor();
    }
  });

  await step("the overview shows it up and updates it live without polling", async () => {
    await mainNav("Monitors").click();
    await row(NAME).waitFor();
    await row(NAME).getByText("Up", { exact: true }).waitFor({ timeout: 15_000 });
    const calls = [];
    const onRequest = (r) => r.url().includes("/pulsar.v1.") && calls.push(r.url());
    page.on("request", onRequest);
    const before = await stripCount(NAME);
    const started = Date.now();
    while ((await stripCount(NAME)) <= before) {
      expect(Date.now() - started < 15_000, `the strip stayed at ${before} checks`);
      await page.waitForTimeout(250);
    }
    page.off("request", onRequest);
    expect(calls.length === 0, `the overview fetched while updating: ${calls.join(", ")}`);
  });

  await step("state and text filters narrow the list", async () => {
    await page.getByPlaceholder("Search name or URL").fill("no-such-monitor");
    await page.getByText("No monitor matches these filters.").waitFor();
    await page.getByPlaceholder("Search name or URL").fill("");
    await page.getByPlaceholder("Label, e.g. env=prod").fill("env=e2e");
    await row(NAME).waitFor();
    await page.getByPlaceholder("Label, e.g. env=prod").fill("");
  });

  await step("the keyboard alone reaches a monitor, with a visible focus ring", async () => {
    await page.getByPlaceholder("Search name or URL").focus();
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate((name) => document.activeElement?.getAttribute("data-monitor") === name, NAME);
    }
    expect(reached, "Tab never reached the monitor's row");
    const outline = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.activeElement)).outlineStyle);
    expect(outline !== "none", "the focused row shows no focus ring");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: NAME }).waitFor();
    await page.goBack();
    await row(NAME).waitFor();
  });

  await step("the detail shows percentiles, results, and the waterfall of a chosen result", async () => {
    await row(NAME).click();
    await page.getByText("Per-phase percentiles", { exact: false }).waitFor();
    const results = page.getByRole("table", { name: /Recent check results/ });
    await results.getByRole("row").nth(2).waitFor({ timeout: 10_000 });
    await results.getByRole("row").nth(2).getByRole("button").click();
    await page.getByRole("heading", { name: "Waterfall of the chosen check" }).waitFor();
  });

  await step("editing the monitor shows its certificate warnings and reminders as saved", async () => {
    await page.getByRole("link", { name: "Edit" }).click();
    const field = page.getByLabel("Warn before the certificate expires (days)");
    await field.waitFor();
    // Kept largest first, as the server stores them.
    expect((await field.inputValue()) === "21, 3", `the thresholds read ${await field.inputValue()}`);
    const remind = await page.getByLabel("Remind every (minutes)").inputValue();
    expect(remind === "15", `the reminder interval reads ${remind}`);
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.getByRole("heading", { name: NAME }).waitFor();
  });

  await step("check now runs a manual check and shows it", async () => {
    await page.getByRole("button", { name: "Check now" }).click();
    await page.getByTestId("waterfall").getByText("manual").waitFor({ timeout: 10_000 });
  });

  await step("pause, then resume", async () => {
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("heading", { name: NAME }).getByText("Paused").waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor({ timeout: 10_000 });
  });

  await step("the hosts panel shows numbers", async () => {
    await mainNav("Hosts").click();
    const card = page.getByTestId("host-card").first();
    await card.waitFor({ timeout: 15_000 });
    await card.getByText(/Reporting/).waitFor({ timeout: 15_000 });
    // Re-read through the locator each time: live samples re-render the card.
    const busy = card.getByText("Busy", { exact: true }).locator("xpath=..");
    const started = Date.now();
    while (!/\d+(\.\d)?%/.test((await busy.textContent()) ?? "")) {
      expect(Date.now() - started < 15_000, `no CPU figure: ${await busy.textContent()}`);
      await page.waitForTimeout(250);
    }
    const tasks = (await card.getByTestId("task-states").textContent()) ?? "";
    expect(/Sleeping\s*\d+/.test(tasks), `no task counts: ${tasks}`);
    await card.getByTestId("host-charts").locator("svg").first().waitFor();
  });

  await step("the host card shows what fires on it, with since when", async () => {
    // The run's config (support.mjs) makes memory_low fire on the first sample.
    const firing = page.getByTestId("host-card").first().getByTestId("host-firing").locator('[data-condition="memory_low"]');
    await firing.waitFor({ timeout: 15_000 });
    const text = (await firing.textContent()) ?? "";
    expect(/Memory low/.test(text) && /% of memory available/.test(text), `not described: ${text}`);
    expect(/since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(text), `no time it fired since: ${text}`);
  });

  await step("the Alerts page lists the host incident as firing", async () => {
    await mainNav("Alerts").click();
    const card = page.getByTestId("host-incidents-card");
    const item = card.locator('[data-testid=host-incident][data-condition="memory_low"]').first();
    await item.waitFor({ timeout: 15_000 });
    expect((await item.getAttribute("data-firing")) === "true", "the memory_low incident is not firing");
    const text = (await item.textContent()) ?? "";
    expect(/Firing/.test(text) && /Memory low/.test(text) && /% of memory available/.test(text), `not described: ${text}`);
    expect(/opened (just now|\d+ (s|min|h|d) ago)/.test(text), `no time it opened: ${text}`);
    const absolute = (await item.locator("time").getAttribute("title")) ?? "";
    expect(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(absolute), `no absolute time on hover: ${absolute}`);
  });

  await step("a maintenance window is checked, added through its dialog, and listed as open now", async () => {
    await mainNav("Alerts").click();
    const card = page.getByTestId("maintenance-card");
    await card.getByRole("button", { name: "Add window" }).click();
    const editor = page.getByRole("dialog", { name: "Add a maintenance window" });
    await editor.waitFor();
    // Nothing covered yet: the client says so beside the monitors.
    await editor.getByLabel("Name", { exact: true }).fill("e2e upgrade");
    await editor.getByRole("button", { name: "Add window" }).click();
    const coverError = editor.getByTestId("error-monitor_ids");
    await coverError.waitFor();
    expect((await coverError.textContent())?.includes("cover some monitors"), "no error beside the monitors");
    await page.screenshot({ path: join(ARTIFACTS, "maintenance-editor-errors-desktop-light.png") });
    // The default one-off window starts now and lasts an hour.
    expect((await editor.getByLabel("Starts").inputValue()) !== "", "no start filled in");
    await editor.getByRole("checkbox", { name: NAME }).check();
    await editor.getByRole("button", { name: "Add window" }).click();
    await editor.waitFor({ state: "hidden", timeout: 10_000 });
    const item = card.locator('[data-testid=maintenance-window][data-window="e2e upgrade"]');
    await item.getByTestId("window-active").waitFor({ timeout: 10_000 });
    const text = (await item.textContent()) ?? "";
    expect(/Once, \d+ \w{3} \d\d:\d\d → (\d+ \w{3} )?\d\d:\d\d/.test(text) && /Covers 1 monitor/.test(text), `not described: ${text}`);
  });

  await step("a weekly window is added and edited, its days kept", async () => {
    const card = page.getByTestId("maintenance-card");
    await card.getByRole("button", { name: "Add window" }).click();
    const editor = page.getByRole("dialog", { name: "Add a maintenance window" });
    await editor.getByLabel("Name", { exact: true }).fill("e2e nightly");
    await editor.getByText("Every week", { exact: true }).click();
    await editor.getByRole("button", { name: "Add window" }).click();
    await editor.getByTestId("error-weekly.days").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "maintenance-editor-weekly-errors-desktop-light.png") });
    await editor.getByRole("checkbox", { name: "Monday" }).check();
    await editor.getByRole("checkbox", { name: "Wednesday" }).check();
    await editor.getByLabel("Time zone").selectOption("0");
    await editor.getByRole("button", { name: "Add label" }).click();
    await editor.getByLabel("Key 1", { exact: true }).fill("env");
    await editor.getByLabel("Value 1", { exact: true }).fill("e2e");
    await editor.getByRole("button", { name: "Add window" }).click();
    await editor.waitFor({ state: "hidden", timeout: 10_000 });
    const item = card.locator('[data-testid=maintenance-window][data-window="e2e nightly"]');
    await item.getByText("Mon, Wed at 02:00 for 1 h (UTC)").waitFor({ timeout: 10_000 });
    await item.getByText("Covers env=e2e").waitFor();

    await item.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit “e2e nightly”" });
    await edit.waitFor();
    expect(await edit.getByRole("checkbox", { name: "Wednesday" }).isChecked(), "Wednesday is not ticked on edit");
    expect(!(await edit.getByRole("checkbox", { name: "Tuesday" }).isChecked()), "Tuesday is ticked on edit");
    await edit.getByLabel("For", { exact: true }).fill("90");
    await edit.getByLabel("Unit").selectOption("minutes");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "hidden", timeout: 10_000 });
    await item.getByText("Mon, Wed at 02:00 for 1 h 30 min (UTC)").waitFor({ timeout: 10_000 });
  });

  await step("checks in an open window read as in maintenance", async () => {
    await mainNav("Monitors").click();
    await row(NAME).click();
    // Stored results carry the mark; the live event of a check does not (yet), so read the
    // stored ones again until a check of the window's time is among them.
    const marks = page.getByRole("table", { name: /Recent check results/ }).getByTestId("maintenance-mark");
    const started = Date.now();
    for (;;) {
      await page.getByRole("table", { name: /Recent check results/ }).waitFor({ timeout: 10_000 });
      if ((await marks.count()) > 0) break;
      expect(Date.now() - started < 15_000, "no result marked as in maintenance");
      await page.waitForTimeout(1000);
      await page.reload();
    }
    expect(((await marks.first().getAttribute("title")) ?? "").includes("maintenance window"), "the mark does not say what it means");
  });

  await step("screenshots of every screen, desktop and phone, light and dark", async () => {
    await rpc(server.baseUrl, "MonitorService/CreateMonitor", { monitor: { name: "e2e-failing", url: `${target.url}/fail`, intervalSeconds: 2, timeoutMs: 1000, failureThreshold: 1 } });
    await rpc(server.baseUrl, "MonitorService/CreateMonitor", { monitor: { name: "e2e-slow", url: `${target.url}/slow`, intervalSeconds: 2, timeoutMs: 1000, degradedAboveMs: 100, labels: { env: "e2e" } } });
    const ops = await rpc(server.baseUrl, "AlertService/CreateChannel", { channel: { name: "ops webhook", kind: "webhook", enabled: true, config: { url: `${target.url}/hook`, team: "sre" } } });
    // Told of every monitor: the delivery log then shows down and degraded events.
    await rpc(server.baseUrl, "AlertService/SetChannelRouting", { routing: { channelId: ops.channel.id, allMonitors: true } });
    await page.waitForTimeout(5000);
    const id = /\/monitors\/([0-9a-f-]{36})/.exec(await firstMonitorUrl(server.baseUrl, NAME))?.[1];
    const shots = await takeScreenshots(browser, server.baseUrl, id, errors);
    console.log(`   ${shots} screenshots in ${ARTIFACTS}`);
  });

  await step("a maintenance window is deleted after a confirmation", async () => {
    await mainNav("Alerts").click();
    const item = page.locator('[data-testid=maintenance-window][data-window="e2e nightly"]');
    await item.getByRole("button", { name: "Delete e2e nightly" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete “e2e nightly”?" });
    await confirm.getByRole("button", { name: "Delete window" }).click();
    await item.waitFor({ state: "detached", timeout: 10_000 });
    await page.locator('[data-testid=maintenance-window][data-window="e2e upgrade"]').waitFor();
  });

  await step("a channel is edited through its kind's fields and sends a test", async () => {
    await mainNav("Alerts").click();
    const channel = (name) => page.locator(`[data-testid=channel][data-channel="${name}"]`);
    await channel("ops webhook").getByRole("button", { name: "Edit" }).click();
    const editor = page.getByRole("dialog", { name: "Edit “ops webhook”" });
    await editor.waitFor();
    expect((await editor.getByLabel("Kind").inputValue()) === "webhook", "the kind is not shown as Webhook");
    // The stored URL reads as its mask; saving the mask back keeps it.
    expect((await editor.getByLabel("URL", { exact: true }).inputValue()) === "********", "the stored URL is not masked");
    await editor.getByLabel("Signing secret (optional)").fill("e2e-signing-secret");
    await editor.getByRole("button", { name: "Save" }).click();
    await editor.waitFor({ state: "hidden", timeout: 10_000 });
    // The setting the form does not know went back as it was.
    await channel("ops webhook").getByText("URL: hidden · Signing secret: hidden · team: sre").waitFor({ timeout: 10_000 });

    await channel("ops webhook").getByRole("button", { name: "Send test" }).click();
    const result = channel("ops webhook").getByTestId("test-result");
    await result.waitFor({ timeout: 15_000 });
    const text = (await result.textContent()) ?? "";
    expect((await result.getAttribute("data-ok")) === "true", `the test was not delivered: ${text}`);
    expect(/delivered/.test(text) && /HTTP 200/.test(text) && /\d ms/.test(text), `no detail or latency: ${text}`);
    await page.screenshot({ path: join(ARTIFACTS, "alerts-test-sent-desktop-light.png"), fullPage: true });
  });

  await step("a new channel is checked per kind, then added", async () => {
    await page.getByRole("button", { name: "Add channel" }).click();
    const editor = page.getByRole("dialog", { name: "Add a channel" });
    await editor.getByLabel("Name", { exact: true }).fill("e2e discord");
    await editor.getByLabel("Kind").selectOption({ label: "Discord" });
    await editor.getByRole("button", { name: "Add channel" }).click();
    const urlError = editor.getByTestId("error-config.webhook_url");
    await urlError.waitFor();
    expect((await urlError.textContent())?.includes("is required"), "no error beside the webhook URL");
    expect(await editor.getByLabel("Webhook URL").evaluate((el) => el === document.activeElement), "focus did not move to the webhook URL");
    await page.screenshot({ path: join(ARTIFACTS, "channel-editor-errors-desktop-light.png") });
    await editor.getByLabel("Webhook URL").fill(`${target.url}/discord`);
    await editor.getByRole("button", { name: "Add channel" }).click();
    await editor.waitFor({ state: "hidden", timeout: 10_000 });
    await page.locator('[data-testid=channel][data-channel="e2e discord"]').waitFor({ timeout: 10_000 });
  });

  await step("a test that cannot be delivered reads as a failure", async () => {
    // Port 1 on loopback: nothing listens there.
    await rpc(server.baseUrl, "AlertService/CreateChannel", { channel: { name: "e2e nowhere", kind: "webhook", enabled: true, config: { url: "http://127.0.0.1:1/hook" } } });
    await page.reload();
    const channel = page.locator('[data-testid=channel][data-channel="e2e nowhere"]');
    await channel.getByRole("button", { name: "Send test" }).click();
    const result = channel.getByTestId("test-result");
    await result.waitFor({ timeout: 30_000 });
    const text = (await result.textContent()) ?? "";
    expect((await result.getAttribute("data-ok")) === "false" && /not delivered/.test(text), `not shown as a failure: ${text}`);
    await page.screenshot({ path: join(ARTIFACTS, "alerts-test-failed-desktop-light.png"), fullPage: true });
  });

  await step("after a server restart the page reconnects by itself", async () => {
    await mainNav("Monitors").click();
    await row(NAME).waitFor();
    await page.locator("[data-testid=connection][data-state=live]").waitFor();
    // This time the server asks for a token on writes, so the next step meets the prompt.
    const restarted = server.restart({ adminToken: TOKEN });
    await page.locator("[data-testid=connection]:not([data-state=live])").waitFor({ timeout: 15_000 });
    await restarted;
    await page.locator("[data-testid=connection][data-state=live]").waitFor({ timeout: 30_000 });
    const before = await stripCount(NAME);
    const started = Date.now();
    while ((await stripCount(NAME)) <= before) {
      expect(Date.now() - started < 20_000, "no live checks after the restart");
      await page.waitForTimeout(250);
    }
  });

  await step("delete asks for the admin token once, then goes on", async () => {
    await row(NAME).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Delete monitor" }).click();
    const dialog = page.getByRole("dialog", { name: "Admin token needed" });
    await dialog.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, "token-prompt-desktop-light.png") });
    await dialog.getByLabel("Token").fill(TOKEN);
    await dialog.getByRole("button", { name: "Use token" }).click();
    await page.waitForURL((url) => url.pathname === "/", { timeout: 10_000 });
    await row(NAME).waitFor({ state: "detached", timeout: 10_000 });
    expect((await page.evaluate(() => sessionStorage.getItem("pulsar.adminToken"))) === TOKEN, "the token was not kept for the session");
  });

  if (process.env.E2E_PERF === "1") {
    await step("1,000 monitors and ~100 checks a second stay interactive", async () => {
      const report = await measureLongTasks(browser, server.baseUrl, target.url, TOKEN);
      console.log(`   ${JSON.stringify(report)}`);
    });
  }

  await step("no script error on any page", async () => {
    expect(errors.length === 0, `page errors:\n${errors.join("\n")}`);
  });
  console.log(`e2e: all ${passed} steps passed (server: ${PULSAR_BIN})`);
} catch (error) {
  console.error(`not ok - ${current}`);
  console.error(error);
  await page.screenshot({ path: join(ARTIFACTS, "failure.png"), fullPage: true }).catch(() => {});
  console.error(`--- server log (last 3000 chars) ---\n${server.log().slice(-3000)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(deadline);
  await browser.close();
  await server.cleanup();
  await target.close();
}

async function firstMonitorUrl(baseUrl, name) {
  const list = /** @type {{ monitors: { id: string }[] }} */ (await rpc(baseUrl, "MonitorService/ListMonitors", { text: name }));
  return `/monitors/${list.monitors[0].id}`;
}
