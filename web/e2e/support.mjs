// What the browser test runs against: a real `pulsar serve` on a free loopback port with a
// temporary data directory, a local HTTP target for its checks, and Debian's chromium.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const WEB_DIR = fileURLToPath(new URL("..", import.meta.url));
export const ARTIFACTS = join(WEB_DIR, "e2e/artifacts");
export const PULSAR_BIN =
  process.env.PULSAR_BIN ?? fileURLToPath(new URL("../../target/debug/pulsar", import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** A port nobody listens on right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * A self-signed certificate for 127.0.0.1 (made with openssl, as a user would), or
 * undefined where openssl is missing: the test then runs over http only.
 */
function selfSignedCertificate() {
  const dir = mkdtempSync(join(tmpdir(), "pulsar-e2e-tls-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-subj", "/CN=pulsar-e2e", "-days", "7", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The site the monitors check: `/` answers 200 after a few ms, `/redirect` sends a 301 to
 * `/` (a two-hop waterfall), `/to-https` a 301 to the https twin (a hop with TLS; `caPem`
 * is its certificate), `/fail` answers 500, `/slow` takes 250 ms.
 */
export async function startTarget() {
  const port = await freePort();
  const tls = selfSignedCertificate();
  const tlsPort = tls ? await freePort() : 0;
  const handler = (req, res) => {
    if (req.url === "/redirect") {
      res.writeHead(301, { location: "/" });
      res.end();
      return;
    }
    if (req.url === "/to-https") {
      res.writeHead(301, { location: tls ? `https://127.0.0.1:${tlsPort}/` : "/" });
      res.end();
      return;
    }
    if (req.url === "/fail") {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("failing on purpose");
      return;
    }
    const delay = req.url === "/slow" ? 250 : 3;
    setTimeout(() => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("pulsar e2e target\n".repeat(64));
    }, delay);
  };
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(undefined)));
  const secure = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : undefined;
  if (secure) await new Promise((resolve) => secure.listen(tlsPort, "127.0.0.1", () => resolve(undefined)));
  return {
    url: `http://127.0.0.1:${port}`,
    caPem: tls?.cert,
    close: async () => {
      await new Promise((r) => server.close(r));
      if (secure) await new Promise((r) => secure.close(r));
    },
  };
}

/**
 * The server's config file: available memory is always below 100 % of the total, so
 * `memory_low` fires on the first sample and the dashboard has a real host incident to
 * show. `fire_after` counts for every rule but CPU's, so a condition the machine really
 * breaches (a nearly full disk, say) may fire at once too: steps look for memory_low only.
 */
export const CONFIG_TOML = `[server.host_rules]
memory_available_pct = 100
fire_after = 1
`;

/**
 * `pulsar serve` with the built dashboard and CONFIG_TOML; `restart` keeps the port, the
 * config and the data.
 * @param {{ adminToken?: string }} [options]
 */
export async function startServer({ adminToken } = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "pulsar-e2e-"));
  const baseUrl = `http://127.0.0.1:${port}`;
  const configPath = join(dataDir, "pulsar-e2e.toml");
  writeFileSync(configPath, CONFIG_TOML);
  let log = "";
  let child;

  async function launch(token) {
    const args = ["serve", "--config", configPath, "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--host-interval", "1s", "--web-dir", join(WEB_DIR, "dist")];
    if (token) args.push("--admin-token", token);
    child = spawn(PULSAR_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    const exited = new Promise((_, reject) => child.once("exit", (code) => reject(new Error(`pulsar serve exited (${code}):\n${log}`))));
    await Promise.race([waitFor(`${baseUrl}/readyz`, 30_000), exited]);
  }

  async function stop() {
    if (!child || child.exitCode !== null) return;
    const done = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await done;
    clearTimeout(timer);
  }

  await launch(adminToken);
  return {
    baseUrl,
    log: () => log,
    stop,
    /** @param {{ adminToken?: string }} [options] */
    restart: async ({ adminToken: token } = {}) => {
      await stop();
      await launch(token);
    },
    cleanup: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitFor(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One unary Connect call in JSON, for setting up data the test does not click together. */
export async function rpc(baseUrl, method, body, token) {
  const response = await fetch(`${baseUrl}/pulsar.v1.${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method}: ${JSON.stringify(json)}`);
  return json;
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** A page that fails the run on any uncaught script error. */
export async function newPage(browser, { width = 1280, height = 900, theme = "light" } = {}, errors = []) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: theme });
  await context.addInitScript((t) => localStorage.setItem("pulsar.theme", t), theme);
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  return page;
}
