# shellcheck shell=bash
# A second moto server (scripts/services/moto.sh installs it) for tests of credentials: its test
# turns IAM enforcement on through moto's /moto-api/reset-auth once it has made its users, so
# this server checks signatures, access keys and policies. Only that test uses it.

declare_server moto-iam "5011" "moto_server -H 127.0.0.1 -p 5011" 60

probe_moto_iam() { http_ok http://127.0.0.1:5011/moto-api/data.json; }

install_moto_iam() { install_moto; }

launch_moto_iam() { spawn_moto moto-iam 5011; }

env_moto_iam() { export_line TIDAL_TEST_MOTO_IAM_URL "http://127.0.0.1:5011"; }
