# A stand-in for the official redis image, built from Debian's packages for machines that
# cannot pull it (scripts/deploy-test.sh): `redis-server` as the command, data in /data,
# reachable from other containers, and redis-cli for the health check.
ARG BASE
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && mkdir -p /data && chown redis:redis /data
WORKDIR /data
EXPOSE 6379
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["sh", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["redis-server"]
