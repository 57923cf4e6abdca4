# A local stand-in for postgres:15-alpine, for tests/service/test_compose.py on a machine without a
# registry: Debian bookworm's postgresql-15 (in the debootstrapped DEBIAN_IMAGE), run as the
# official image runs it for docker-compose.yml: POSTGRES_USER/PASSWORD/DB make the cluster on the
# first start in PGDATA (the named volume), password authentication over TCP, `pg_isready` on PATH.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
RUN rm -rf /var/lib/postgresql/15 /etc/postgresql/15 \
 && mkdir -p "$PGDATA" /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 "$PGDATA"
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
