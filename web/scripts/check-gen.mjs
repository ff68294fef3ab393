// Fails when src/gen differs from what buf generates from pulsar-core/proto now: the
// committed TypeScript must never drift from the schema. Fix with `npm run generate`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL("..", import.meta.url));
const committed = join(web, "src/gen");
const scratch = mkdtempSync(join(tmpdir(), "pulsar-gen-"));

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

try {
  execFileSync(
    join(web, "node_modules/.bin/buf"),
    ["generate", "../pulsar-core/proto", "--template", "buf.gen.yaml", "--output", scratch],
    { cwd: web, stdio: "inherit" },
  );
  const fresh = join(scratch, "src/gen");
  const want = files(fresh);
  const have = files(committed);
  const problems = [];
  for (const f of new Set([...want, ...have])) {
    if (!want.includes(f)) problems.push(`${f}: committed but no longer generated`);
    else if (!have.includes(f)) problems.push(`${f}: generated but not committed`);
    else if (readFileSync(join(fresh, f), "utf8") !== readFileSync(join(committed, f), "utf8"))
      problems.push(`${f}: differs from the schema`);
  }
  if (problems.length > 0) {
    console.error("web/src/gen is out of date with pulsar-core/proto:");
    for (const p of problems) console.error(`  ${p}`);
    console.error("Run `npm run generate` in web/ and commit the result.");
    process.exitCode = 1;
  } else {
    console.log(`web/src/gen matches pulsar-core/proto (${want.length} files).`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
