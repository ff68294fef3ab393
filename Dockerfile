# Pulsar's one image. Every role is its command: `serve` (the default), `api`, `worker` and
# `migrate`. Build it with BuildKit (the default builder since Docker 23; on an older engine,
# DOCKER_BUILDKIT=1):
#
#   docker build -t pulsar .
#
# Stages: `web` builds the dashboard with Node, `build` compiles the binary (which embeds the
# dashboard), `runtime` is what runs. BuildKit builds only the stages the target needs, so
# `--build-arg ARTIFACTS=prebuilt` with a context holding a `pulsar` binary skips both
# toolchains (scripts/deploy-test.sh does this on machines that cannot pull them).

ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG ARTIFACTS=build

FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
# The lock file alone first: `npm ci` is a layer of its own, redone only when it changes.
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY --from=web /src/web/dist /src/web-dist
COPY . .
# The registry and target directory are build caches: a source change recompiles Pulsar's
# own crates, not every dependency. The binary leaves the cache for the next stage.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    PULSAR_WEB_DIST=/src/web-dist cargo build --release --locked -p pulsar-server \
    && install -D target/release/pulsar /out/pulsar

# A binary built elsewhere, taken from the build context as `pulsar`.
FROM scratch AS prebuilt
COPY pulsar /out/pulsar

FROM ${ARTIFACTS} AS artifacts

FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Pulsar" \
      org.opencontainers.image.description="Phase-timed website checks, host health and alerts, live" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/pulsar-monitoring/pulsar"
# CA certificates for e-mail over TLS and anything that reads the system's roots; a fixed
# non-root user that owns only the data directory.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/pulsar \
       --create-home --shell /usr/sbin/nologin pulsar
COPY --from=artifacts /out/pulsar /usr/local/bin/pulsar
USER pulsar:pulsar
WORKDIR /var/lib/pulsar
# In a container the API must listen beyond loopback; it then refuses to start without
# PULSAR_ADMIN_TOKEN (or an explicit PULSAR_ALLOW_UNAUTHENTICATED).
# A worker serves /healthz, /readyz and /metrics on PULSAR_METRICS_LISTEN; the other roles
# ignore it. `serve` keeps its database in /var/lib/pulsar: mount a volume there (no VOLUME
# is declared, so `api` and `worker` containers, which keep nothing, leave none behind).
ENV PULSAR_LISTEN=0.0.0.0:8080 \
    PULSAR_METRICS_LISTEN=0.0.0.0:9090 \
    PULSAR_DATA_DIR=/var/lib/pulsar
EXPOSE 8080 9090
# `pulsar healthcheck` asks the process beside it: a worker on its metrics address, the
# other roles on their API address.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["pulsar", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["pulsar"]
CMD ["serve"]
