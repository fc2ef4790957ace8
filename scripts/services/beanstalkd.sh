# shellcheck shell=bash
# beanstalkd, in memory (no binlog), on loopback.

declare_server beanstalkd "11300" beanstalkd 30 beanstalkd

# It answers `stats` with an OK and its statistics.
probe_beanstalkd() {
  local reply
  reply=$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/11300 && printf "stats\r\n" >&3 && head -c 2 <&3' 2>/dev/null) &&
    [[ $reply == OK ]]
}

launch_beanstalkd() { spawn beanstalkd beanstalkd beanstalkd -l 127.0.0.1 -p 11300; }

env_beanstalkd() { export_line TIDAL_TEST_BEANSTALKD "127.0.0.1:11300"; }
