// The JavaScript a first visit downloads before anything shows (the entry script and what
// it preloads), gzipped, against the issue's budget of 250 kB. Screens loaded later (charts
// included) are listed apart. Run after `npm run build`.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const BUDGET_KB = 250;
const dist = fileURLToPath(new URL("../dist", import.meta.url));
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] ?? "");
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;

let initialJs = 0;
for (const file of initial) {
  const kb = gz(file);
  if (file.endsWith(".js")) initialJs += kb;
  console.log(`initial  ${kb.toFixed(1).padStart(7)} kB  ${file}`);
}
const lazy = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js") && !initial.includes(`assets/${f}`));
for (const f of lazy.sort((a, b) => gz(`assets/${b}`) - gz(`assets/${a}`)).slice(0, 5)) {
  console.log(`on demand ${gz(`assets/${f}`).toFixed(1).padStart(6)} kB  assets/${f}`);
}
console.log(`initial JavaScript: ${initialJs.toFixed(1)} kB gzipped (budget ${BUDGET_KB} kB)`);
if (initialJs > BUDGET_KB) {
  console.error("over budget: move something behind a lazy import");
  process.exitCode = 1;
}
