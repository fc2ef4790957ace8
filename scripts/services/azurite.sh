# shellcheck shell=bash
# Azurite, Microsoft's Azure Storage emulator (npm), for the azure-queue, azure-blob and
# azure-eventhub (checkpoint blobs) scalers: blob on 10000, queue on 10001, table on 10002, with
# the well-known development account devstoreaccount1. Installed into the cache, not the project,
# and run with the project's Node 24 (Azurite needs Node 22 or newer).

AZURITE_VERSION=3.37.0
AZURITE_HOME="$CACHE/azurite/$AZURITE_VERSION"
AZURITE_ACCOUNT=devstoreaccount1
# Azurite's published development key (not a secret: every Azurite install accepts it).
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
declare_server azurite "10000 10001 10002" azurite 60

install_azurite() {
  [[ -f $AZURITE_HOME/node_modules/azurite/dist/src/azurite.js ]] && return 0
  say "installing azurite $AZURITE_VERSION into $AZURITE_HOME ..."
  mkdir -p "$AZURITE_HOME"
  npm install --prefix "$AZURITE_HOME" --no-audit --no-fund --no-save "azurite@$AZURITE_VERSION" \
    >"$AZURITE_HOME.log" 2>&1 || {
    cat "$AZURITE_HOME.log" >&2
    fail "npm install azurite@$AZURITE_VERSION failed (output above)"
    return 1
  }
}

azurite_node() {
  if [[ -x $ROOT/node_modules/.bin/node ]]; then printf '%s' "$ROOT/node_modules/.bin/node"; else command -v node; fi
}

prepare_azurite() { mkdir -p "$(dir_of azurite)/data"; }

launch_azurite() {
  spawn azurite azurite "$(azurite_node)" "$AZURITE_HOME/node_modules/azurite/dist/src/azurite.js" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --location "$(dir_of azurite)/data" --skipApiVersionCheck --disableTelemetry --loose --silent
}

probe_azurite() {
  # Unauthenticated requests get 403 from a live Azurite; curl -f would fail, so read the code.
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:10001/$AZURITE_ACCOUNT?comp=list") || return 1
  [[ $code =~ ^[2-4][0-9][0-9]$ ]]
}

env_azurite() {
  export_line TIDAL_TEST_AZURE_STORAGE_CONNECTION_STRING \
    "DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:10000/$AZURITE_ACCOUNT;QueueEndpoint=http://127.0.0.1:10001/$AZURITE_ACCOUNT;"
}
