# A stand-in for the official rust image, for machines that cannot pull it
# (scripts/deploy-build-test.sh): this machine's own toolchain (bin, lib, libexec; no docs)
# on the local Debian base, laid out as the official image is (cargo in
# /usr/local/cargo/bin, CARGO_HOME /usr/local/cargo), with gcc for the crates that build C,
# trusting what this machine trusts.
ARG BASE
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# This machine's own extra CAs (a registry reached through a TLS proxy needs them).
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
COPY toolchain/ /usr/local/rust/
RUN mkdir -p /usr/local/cargo/bin \
    && ln -s /usr/local/rust/bin/* /usr/local/cargo/bin/
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH
