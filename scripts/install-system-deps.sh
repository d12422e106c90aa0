#!/bin/bash
# Installs the optional system parts some tests and features use, on Debian (bookworm), as root,
# non-interactively. Idempotent. Parts:
#   vulkan   Mesa 25 lavapipe (a CPU Vulkan driver) from bookworm-backports, so WebGPU (Dawn)
#            finds an adapter on machines without a GPU (Mesa 22 from bookworm does not work)
#   browser  Debian's Chromium, for the viewer's browser tests (driven by playwright-core)
#   nats     Debian's nats-server (JetStream, key-value and object store), for the cluster's tests
#            and for `sim2real train --cluster` (docs/cluster.md)
# Usage: scripts/install-system-deps.sh [vulkan] [browser] [nats]   (no argument: all parts)
set -euo pipefail
parts=("$@"); [[ ${#parts[@]} -gt 0 ]] || parts=(vulkan browser nats)
export DEBIAN_FRONTEND=noninteractive
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
updated=0
apt_update() { [[ $updated == 1 ]] || { as_root apt-get update -qq; updated=1; }; }

for part in "${parts[@]}"; do
  case $part in
    vulkan)
      if dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^25\.'; then
        echo "install-system-deps: vulkan: Mesa 25 lavapipe already installed"; continue
      fi
      # the suite bookworm-backports, from the same mirror as the machine's other Debian sources
      mirror=$( { grep -rhE '^URIs:' /etc/apt/sources.list.d/ 2>/dev/null | awk '{print $2}';
                  grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'; } | grep -E '/debian/?$' | head -n1 || true)
      mirror=${mirror:-http://deb.debian.org/debian}
      if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "${mirror%/}" \
          | as_root tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
        updated=0
      fi
      apt_update
      as_root apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
      echo "install-system-deps: vulkan: $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
      ;;
    browser)
      if command -v chromium >/dev/null; then echo "install-system-deps: browser: $(chromium --version 2>/dev/null)"; continue; fi
      apt_update
      as_root apt-get install -y -qq chromium >/dev/null
      echo "install-system-deps: browser: $(chromium --version 2>/dev/null)"
      ;;
    nats)
      if command -v nats-server >/dev/null; then echo "install-system-deps: nats: nats-server $(nats-server --version 2>/dev/null | awk '{print $2}')"; continue; fi
      apt_update
      as_root apt-get install -y -qq nats-server >/dev/null
      echo "install-system-deps: nats: nats-server $(nats-server --version 2>/dev/null | awk '{print $2}')"
      ;;
    *) echo "install-system-deps: unknown part '$part' (known: vulkan browser nats)" >&2; exit 2 ;;
  esac
done
