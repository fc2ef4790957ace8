# shellcheck shell=bash
# Mosquitto: anonymous MQTT on loopback; as root it would otherwise drop to the mosquitto user.

declare_server mosquitto "1883" mosquitto 30 mosquitto

prepare_mosquitto() {
  cat >"$(dir_of mosquitto)/mosquitto.conf" <<EOF
user $(id -un)
listener 1883 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
EOF
}

launch_mosquitto() {
  spawn mosquitto mosquitto mosquitto -c "$(dir_of mosquitto)/mosquitto.conf"
}

env_mosquitto() { export_line TIDAL_TEST_MQTT_URL "mqtt://127.0.0.1:1883"; }
