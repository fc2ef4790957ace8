# shellcheck shell=bash
# Debian's Chromium for the browser tests (driven headless by playwright-core through
# executablePath; no browser download). A tool: installed, never started by this script.

declare_tool chromium chromium fonts-dejavu-core

probe_chromium() { /usr/bin/chromium --version >/dev/null 2>&1; }

env_chromium() { export_line TIDAL_TEST_CHROMIUM /usr/bin/chromium; }
