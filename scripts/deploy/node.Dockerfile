# A stand-in for the official node image, for machines that cannot pull it
# (scripts/deploy-build-test.sh): this machine's own node binary and npm on the local Debian
# base, with npm on PATH as in the official image, trusting what this machine trusts.
ARG BASE
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# This machine's own extra CAs (a registry reached through a TLS proxy needs them).
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
# Node trusts only its own CA list unless told of the system's.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s /usr/local/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
