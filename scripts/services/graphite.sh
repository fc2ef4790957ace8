# shellcheck shell=bash
# Graphite from Debian: carbon-cache (graphite-carbon) taking the plaintext protocol on
# 127.0.0.1:2003 and writing whisper files under .tidal/services/graphite/storage/, and graphite-web
# (the render API KEDA queries) served by gunicorn on 127.0.0.1:8085. graphite-web reads points not
# yet written from carbon-cache's query port (127.0.0.1:7012; 7002 is Redis Cluster's). Metrics
# keep one point per second for two hours. No authentication.

declare_server graphite "2003 8085" "graphite.wsgi:application" 60 \
  graphite-carbon graphite-web gunicorn
PORTS[carbon]="2003 7012"
PROCESS[carbon]="carbon-cache"

logs_graphite() { printf '%s and %s' "$(log_of graphite)" "$(dir_of graphite)/log/"; }
stop_also_graphite() { stop_pid carbon graphite; }

probe_graphite() { http_ok "http://127.0.0.1:8085/render?target=tidal.probe&format=json&from=-1min"; }

prepare_graphite() {
  local dir
  dir=$(dir_of graphite)
  mkdir -p "$dir"/{storage/whisper,storage/lists,conf,log/webapp,run,python}
  cat >"$dir/conf/carbon.conf" <<CONF
[cache]
STORAGE_DIR = $dir/storage/
LOCAL_DATA_DIR = $dir/storage/whisper/
WHITELISTS_DIR = $dir/storage/lists/
CONF_DIR = $dir/conf/
LOG_DIR = $dir/log/
PID_DIR = $dir/run/
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 5000
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = 2003
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = 2014
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = 7012
LOG_LISTENER_CONN_SUCCESS = False
LOG_UPDATES = False
LOG_CACHE_HITS = False
WHISPER_AUTOFLUSH = False
CONF
  cat >"$dir/conf/storage-schemas.conf" <<CONF
[default]
pattern = .*
retentions = 1s:2h
CONF
  cat >"$dir/conf/storage-aggregation.conf" <<CONF
[default]
pattern = .*
xFilesFactor = 0
aggregationMethod = average
CONF
  cat >"$dir/python/tidal_graphite_settings.py" <<PY
# graphite-web's local settings for Tidal's test server (GRAPHITE_SETTINGS_MODULE).
SECRET_KEY = "tidal-test-server"
GRAPHITE_ROOT = "/usr/share/graphite-web"
STATIC_ROOT = "/usr/share/graphite-web/static"
CONF_DIR = "$dir/conf"
STORAGE_DIR = "$dir/storage"
WHISPER_DIR = "$dir/storage/whisper"
STANDARD_DIRS = ["$dir/storage/whisper"]
LOG_DIR = "$dir/log/webapp"
INDEX_FILE = "$dir/storage/index"
CARBONLINK_HOSTS = ["127.0.0.1:7012"]
LOG_RENDERING_PERFORMANCE = False
LOG_CACHE_PERFORMANCE = False
DATABASES = {"default": {"NAME": "$dir/storage/graphite.db", "ENGINE": "django.db.backends.sqlite3"}}
PY
}

graphite_env() {
  local dir
  dir=$(dir_of graphite)
  printf '%s\n' "PYTHONPATH=$dir/python" "GRAPHITE_SETTINGS_MODULE=tidal_graphite_settings" \
    "DJANGO_SETTINGS_MODULE=graphite.settings"
}

launch_graphite() {
  local dir envs
  dir=$(dir_of graphite)
  mapfile -t envs < <(graphite_env)
  if ! live_pid carbon graphite >/dev/null; then
    spawn carbon graphite carbon-cache --config="$dir/conf/carbon.conf" --nodaemon \
      --pidfile="$dir/run/carbon-cache.pid" start
  fi
  if [[ ! -f $dir/storage/graphite.db ]]; then
    env "${envs[@]}" django-admin migrate --noinput >>"$(log_of graphite)" 2>&1 ||
      fail "graphite-web's database migration failed; see $(log_of graphite)"
  fi
  spawn graphite graphite env "${envs[@]}" gunicorn --bind 127.0.0.1:8085 --workers 2 \
    --error-logfile - graphite.wsgi:application
}

env_graphite() {
  export_line TIDAL_TEST_GRAPHITE_URL "http://127.0.0.1:8085"
  export_line TIDAL_TEST_CARBON_ADDRESS "127.0.0.1:2003"
}
