# Plaint in a container: plaintd and plaint on Debian 12.
# docker-compose.yml runs it next to PostgreSQL 15; see README.md.

# --- build -------------------------------------------------------------------
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libzmq3-dev libpq-dev libyaml-dev libuv1-dev libjansson-dev \
      libcmocka-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPL_WERROR=ON \
 && cmake --build build -j"$(nproc)" --target plaintd plaint

# --- runtime -----------------------------------------------------------------
FROM debian:12
# tzdata: the business calendar names its time zone (Asia/Shanghai);
# ca-certificates: webhooks over https.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzmq5 libpq5 libyaml-0-2 libuv1 libjansson4 libcurl4 \
      tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin plaint
COPY --from=build /src/build/plaintd /src/build/plaint /usr/local/bin/
COPY --from=build /src/config/plaint.yaml /etc/plaint/plaint.yaml
USER plaint
EXPOSE 5555 5556
# The schema is embedded in plaintd and applied at start. Set the database
# with PLAINT_DATABASE_URL (or --db); listen on all interfaces in a container.
CMD ["plaintd", "--config", "/etc/plaint/plaint.yaml", \
     "--ingest", "tcp://0.0.0.0:5555", "--publish", "tcp://0.0.0.0:5556"]
