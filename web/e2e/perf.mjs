// The overview under load: 1,000 monitors checked every 10 s (about 100 check events a
// second) while the list scrolls; reports the main thread's long tasks (> 50 ms) as
// Chromium's Long Tasks API sees them. Run with E2E_PERF=1.
import { newPage, rpc } from "./support.mjs";

const MONITORS = 1000;
const WINDOW_MS = 10_000;

export async function measureLongTasks(browser, baseUrl, targetUrl, token) {
  for (let start = 0; start < MONITORS; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        rpc(baseUrl, "MonitorService/CreateMonitor", {
          monitor: { name: `load-${String(start + i).padStart(4, "0")}`, url: `${targetUrl}/?n=${start + i}`, intervalSeconds: 10, timeoutMs: 2000 },
        }, token),
      ),
    );
  }
  const page = await newPage(browser, { width: 1280, height: 900 });
  let frames = 0;
  page.on("websocket", (ws) => ws.on("framereceived", () => (frames += 1)));
  await page.goto(baseUrl);
  await page.locator("[data-testid=monitor-row]").first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(3000);
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__longTasks = [];
    w.__events = 0;
    new PerformanceObserver((list) => w.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: /** @type {any} */ ("longtask"), buffered: false });
  });
  const framesAtStart = frames;
  const painted = page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        let count = 0;
        const end = performance.now() + ms;
        const tick = () => {
          count += 1;
          if (performance.now() < end) requestAnimationFrame(tick);
          else resolve(count);
        };
        requestAnimationFrame(tick);
      }),
    WINDOW_MS,
  );
  for (let i = 0; i < 20; i++) {
    await page.mouse.wheel(0, i % 10 < 5 ? 1200 : -1200);
    await page.waitForTimeout(WINDOW_MS / 20);
  }
  const fps = /** @type {number} */ (await painted) / (WINDOW_MS / 1000);
  const eventsPerSecond = Math.round((frames - framesAtStart) / (WINDOW_MS / 1000));
  const tasks = /** @type {number[]} */ (await page.evaluate(() => /** @type {any} */ (window).__longTasks));
  await page.context().close();
  return {
    monitors: MONITORS,
    windowMs: WINDOW_MS,
    eventsPerSecond,
    framesPerSecond: Math.round(fps),
    longTasks: tasks.length,
    longestMs: Math.round(Math.max(0, ...tasks)),
    blockedMs: Math.round(tasks.reduce((a, b) => a + b, 0)),
  };
}
