#!/usr/bin/env bash
# Installs what `npm run bench` needs on a fresh machine (Debian, as root, no Docker engine), after
# `npm ci`; `npm run bench` runs it first:
# docker-registry for the loopback registries, and buildah (Debian's 1.28 on bookworm) for the
# side-by-side comparison (bench/versus-buildah.ts). Safe to run again: it installs only what is
# missing. buildah runs daemonless, as root, with vfs storage and chroot isolation; the bench
# gives each run its own storage, so nothing here configures it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v buildah >/dev/null || missing+=(buildah)
# unshare (util-linux) gives each buildah run a private mount namespace; Debian always has it.
command -v unshare >/dev/null || missing+=(util-linux)

if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "bench-setup: ${missing[*]} missing; install them as root (apt-get install ${missing[*]})" >&2
      exit 1
    fi
    sudo_cmd="sudo"
  fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
# Debian starts the packaged registry service on install; the bench starts its own.
if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi
buildah --version
