# syntax=docker/dockerfile:1
# Interlock in a container, for pipelines that run jobs in images. The project (interlock.toml,
# contracts/, scenarios/) is mounted at /work:
#
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" ghcr.io/OWNER/interlock run --junit out/junit.xml
#
# Built by .github/workflows/release.yml on a version tag; locally: docker build -t interlock .

# Build stage: the shipped profile (stripped, LTO), the versions of Cargo.lock.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --profile dist --locked --bin interlock \
    && cp target/dist/interlock /usr/local/bin/interlock

# Runtime stage: glibc, CA certificates for HTTPS targets, git for `interlock diff --base REV`
# (the mounted project belongs to the host's user, so git is told to read it anyway), and an
# unprivileged user.
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system safe.directory '*' \
    && groupadd --gid 10001 interlock \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /work --shell /usr/sbin/nologin interlock
COPY --from=build /usr/local/bin/interlock /usr/local/bin/interlock
COPY LICENSE /usr/share/doc/interlock/LICENSE
# Numeric, so a runtime that enforces non-root (runAsNonRoot) can check it.
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["interlock"]
CMD ["run"]
