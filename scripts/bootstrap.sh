#!/usr/bin/env bash
# Set up everything TrialMatch needs on a Debian/Ubuntu machine: system libraries for Qt, fonts,
# poppler, and a virtual environment with the pinned Python packages. Safe and quick to re-run.
#
# Usage: scripts/bootstrap.sh [run|test]
#   run   Qt libraries for a real window as well as offscreen.
#   test  also the test tools (pytest, ruff, mypy, import-linter), xvfb and poppler-utils.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
venv=".venv"
python="${PYTHON:-python3}"

offscreen_pkgs=(libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core)
window_pkgs=(libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-randr0 libxcb-xinerama0 libxcb-xfixes0
    libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libasound2)
test_pkgs=(xvfb xauth poppler-utils)

need=()
pkgs=("${offscreen_pkgs[@]}" "${window_pkgs[@]}")
if [ "$mode" = "test" ]; then
    pkgs+=("${test_pkgs[@]}")
fi
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${pkgs[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        case "$status" in
            *"install ok installed"*) ;;
            *) need+=("$p") ;;
        esac
    done
    if [ "${#need[@]}" -gt 0 ]; then
        echo "Installing Debian packages: ${need[*]}"
        sudo=""
        if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
    fi
else
    echo "Not a Debian-based system: install the Qt 6 runtime libraries yourself (see README)." >&2
fi

req="requirements.txt"
if [ "$mode" = "test" ]; then req="requirements-dev.txt"; fi
stamp="$venv/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-$mode"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
if [ ! -f "$stamp" ]; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    touch "$stamp"
    if [ "$mode" = "test" ]; then touch "${stamp%-test}-run"; fi
fi
