import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

// `npm run dev` talks to a `pulsar serve` on 8080 (override with PULSAR_URL): the Connect
// API lives under /pulsar.v1.*, live events under /ws.
const server = process.env.PULSAR_URL ?? "http://127.0.0.1:8080";

/**
 * Writes a `.gz` beside every text asset: the server's static handler sends it to browsers
 * that accept gzip (tower-http `precompressed_gzip`), so nothing is compressed per request.
 */
function precompress(): Plugin {
  return {
    name: "pulsar-precompress",
    apply: "build",
    closeBundle() {
      const dist = join(import.meta.dirname, "dist");
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
      for (const file of walk(dist)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        const body = readFileSync(file);
        if (body.length < 1024) continue;
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), precompress()],
  server: {
    proxy: {
      "/pulsar.v1.": { target: server, changeOrigin: true },
      // changeOrigin rewrites Host; the hub also checks Origin, so rewrite that too.
      "/ws": {
        target: server,
        ws: true,
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on("proxyReqWs", (proxyReq) => proxyReq.setHeader("origin", server));
        },
      },
      "/healthz": server,
      "/readyz": server,
    },
  },
  build: {
    target: "es2022",
    // The budget that matters (250 kB gzipped initial JavaScript) is checked by `npm run size`.
    chunkSizeWarningLimit: 600,
  },
});
