# shellcheck shell=bash
# A Selenium Grid hub from the Maven Central jars (org.seleniumhq.selenium:selenium-grid, through
# test/selenium-grid/pom.xml) on 127.0.0.1:4444, its event bus on 127.0.0.1:4445 and 4446 (4443 is taken by other test servers). No
# node registers: session requests (POST /session) wait in the queue, which is what KEDA counts.
# A request leaves the queue after --session-request-timeout seconds, or when the queue is cleared
# (DELETE /se/grid/newsessionqueue/queue).

SELENIUM_VERSION=4.47.0
SELENIUM_LIBS="$CACHE/selenium-grid/$SELENIUM_VERSION/libs"
declare_server selenium-grid "4444 4445 4446" "org.openqa.selenium.grid.Main hub" 90 \
  openjdk-17-jre-headless maven

probe_selenium_grid() { curl -fsS --max-time 3 http://127.0.0.1:4444/status 2>/dev/null | grep -q '"ready"'; }

install_selenium_grid() {
  [[ -f $SELENIUM_LIBS/.complete ]] && return 0
  say "downloading selenium-grid $SELENIUM_VERSION jars into $SELENIUM_LIBS ..."
  local tmp="$SELENIUM_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -B -q -f "$ROOT/test/selenium-grid/pom.xml" -Dselenium.version="$SELENIUM_VERSION" \
    -Dmaven.repo.local="$CACHE/maven-m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    fail "could not resolve the selenium-grid jars (mvn output above)"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$SELENIUM_LIBS"
  mv "$tmp" "$SELENIUM_LIBS"
}

launch_selenium_grid() {
  local dir
  dir=$(dir_of selenium-grid)
  mkdir -p "$dir/tmp"
  spawn selenium-grid selenium-grid java -Xms32m -Xmx256m -Djava.io.tmpdir="$dir/tmp" \
    -cp "$SELENIUM_LIBS/*" org.openqa.selenium.grid.Main hub --host 127.0.0.1 --port 4444 \
    --bind-host true --publish-events tcp://127.0.0.1:4445 --subscribe-events tcp://127.0.0.1:4446 \
    --session-request-timeout 120 --log-level WARNING
}

env_selenium_grid() { export_line TIDAL_TEST_SELENIUM_GRID_URL "http://127.0.0.1:4444"; }
