# shellcheck shell=bash
# A Kerberos KDC: MIT krb5kdc for the realm TIDAL.TEST on 127.0.0.1:8800 (TCP and UDP). Its
# database, the principals and the keytabs are made by kdb5_util and kadmin.local under
# .tidal/services/kdc/ (the system's /etc/krb5* are never read: KRB5_CONFIG and KRB5_KDC_PROFILE
# point into that folder). Principals: `tidal` with password `tidal` (its keys also in
# tidal.keytab) and kafka/127.0.0.1, the broker's service principal (scripts/services/kafka.sh
# exports its keytab with kdc_keytab). Clients use krb5.conf from that folder.

KDC_REALM=TIDAL.TEST
KDC_PORT=8800
KDC_ENCTYPES="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"
declare_server kdc "$KDC_PORT" "krb5kdc -n" 30 krb5-kdc krb5-admin-server

logs_kdc() { printf '%s and %s' "$(log_of kdc)" "$(dir_of kdc)/krb5kdc.log"; }

# kdc_run COMMAND...: runs a krb5 tool on the test realm's configuration.
kdc_run() {
  local dir
  dir=$(dir_of kdc)
  env KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" "$@"
}

kdc_files() {
  local dir=$1
  cat >"$dir/krb5.conf.tmp" <<EOF
[libdefaults]
  default_realm = $KDC_REALM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  ticket_lifetime = 24h
  default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
  default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
  permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96

[realms]
  $KDC_REALM = {
    kdc = 127.0.0.1:$KDC_PORT
  }

[domain_realm]
  127.0.0.1 = $KDC_REALM
  localhost = $KDC_REALM
EOF
  mv "$dir/krb5.conf.tmp" "$dir/krb5.conf"
  cat >"$dir/kdc.conf.tmp" <<EOF
[kdcdefaults]
  kdc_listen = 127.0.0.1:$KDC_PORT
  kdc_tcp_listen = 127.0.0.1:$KDC_PORT

[realms]
  $KDC_REALM = {
    database_name = $dir/db/principal
    key_stash_file = $dir/db/stash
    acl_file = $dir/kadm5.acl
    supported_enctypes = $KDC_ENCTYPES
    max_life = 24h
    max_renewable_life = 7d
    default_principal_flags = +preauth
  }

[logging]
  kdc = FILE:$dir/krb5kdc.log
  default = FILE:$dir/krb5kdc.log
EOF
  mv "$dir/kdc.conf.tmp" "$dir/kdc.conf"
  : >"$dir/kadm5.acl"
}

# kdc_database: the realm's configuration, database and principals (idempotent; kafka's prepare
# calls it too, so it holds a lock while it works).
kdc_database() {
  local dir
  dir=$(dir_of kdc)
  mkdir -p "$dir"
  (
    exec 6>"$dir/.lock-database"
    flock 6
    kdc_files "$dir"
    if [[ -f $dir/db/.complete ]]; then
      # Principals made before pre-authentication was the default get it too.
      kdc_run kadmin.local -r "$KDC_REALM" -q "modprinc +requires_preauth $USER_NAME" >>"$(log_of kdc)" 2>&1
      exit 0
    fi
    say "creating the kerberos realm $KDC_REALM in $dir/db ..."
    rm -rf "$dir/db" "$dir/tidal.keytab"
    mkdir -p "$dir/db"
    {
      kdc_run kdb5_util create -s -r "$KDC_REALM" -P "tidal-test-master" &&
        kdc_run kadmin.local -r "$KDC_REALM" -q "addprinc -pw $PASSWORD $USER_NAME" &&
        kdc_run kadmin.local -r "$KDC_REALM" -q "ktadd -norandkey -k $dir/tidal.keytab $USER_NAME" &&
        kdc_run kadmin.local -r "$KDC_REALM" -q "addprinc -randkey kafka/127.0.0.1"
    } >>"$(log_of kdc)" 2>&1 || {
      fail "creating the kerberos realm failed; see $(log_of kdc)"
      exit 1
    }
    touch "$dir/db/.complete"
  )
}

# kdc_keytab PRINCIPAL FILE: the principal's current keys in a keytab (kept when it is there).
kdc_keytab() {
  local principal=$1 file=$2
  [[ -f $file ]] && return 0
  kdc_database || return 1
  kdc_run kadmin.local -r "$KDC_REALM" -q "ktadd -norandkey -k $file.tmp $principal" >>"$(log_of kdc)" 2>&1 || {
    rm -f "$file.tmp"
    fail "exporting the keytab of $principal failed; see $(log_of kdc)"
    return 1
  }
  mv "$file.tmp" "$file"
}

prepare_kdc() { kdc_database; }

launch_kdc() {
  local dir
  dir=$(dir_of kdc)
  spawn kdc kdc env KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" \
    krb5kdc -n -r "$KDC_REALM"
}

env_kdc() {
  local dir
  dir=$(dir_of kdc)
  export_line TIDAL_TEST_KERBEROS_REALM "$KDC_REALM"
  export_line TIDAL_TEST_KERBEROS_CONFIG_FILE "$dir/krb5.conf"
  export_line TIDAL_TEST_KERBEROS_USERNAME "$USER_NAME"
  export_line TIDAL_TEST_KERBEROS_PASSWORD "$PASSWORD"
  export_line TIDAL_TEST_KERBEROS_KEYTAB_FILE "$dir/tidal.keytab"
}
