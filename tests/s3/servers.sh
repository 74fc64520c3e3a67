#!/usr/bin/env bash
# Starts and stops the S3 servers castor's S3 tests run against, all on 127.0.0.1 with free ports:
#   moto      moto_server (in memory; API breadth, conditional writes)
#   swift     OpenStack Swift with s3api and tempauth (on disk; checks SigV4 signatures)
#   proxy     tests/s3/fakes.py proxy: a fault-injecting HTTP proxy in front of moto
#   metadata  tests/s3/fakes.py metadata: fake ECS container-credentials and EC2 IMDSv2 endpoints
# Usage: servers.sh start DIR [moto swift proxy metadata]   (default: all)
#        servers.sh stop DIR
# Writes DIR/<name>.port and DIR/<name>.pid; a bucket "castor-test" exists on moto and swift.
# Each server is stopped by its recorded PID only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmd=${1:?usage: servers.sh start|stop DIR [names...]}
dir=${2:?usage: servers.sh start|stop DIR [names...]}
shift 2
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(moto swift proxy metadata)
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
bucket=castor-test

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {  # wait_http URL SECONDS NAME
  local deadline=$((SECONDS + $2))
  until curl -s -o /dev/null "$1"; do
    if ((SECONDS > deadline)); then
      echo "servers.sh: $3 not ready after $2 s; log:" >&2
      tail -30 "$dir/$3.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

aws_env() {  # aws_env NAME -> sets credentials for that server
  if [[ $1 == swift ]]; then
    export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing
  else
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  fi
  export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  unset AWS_CA_BUNDLE AWS_PROFILE AWS_SESSION_TOKEN
}

start_moto() {
  local port; port=$(free_port)
  moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"
  echo "$port" >"$dir/moto.port"
  wait_http "http://127.0.0.1:$port/moto-api/" 60 moto
  (aws_env moto; aws --endpoint-url "http://127.0.0.1:$port" s3api create-bucket --bucket "$bucket" >/dev/null)
}

start_swift() {
  command -v swift-proxy-server >/dev/null || {
    echo "servers.sh: Swift is not installed (run tests/s3/setup.sh)" >&2; return 1; }
  local s="$dir/swift" etc="$dir/swift/etc"
  rm -rf "$s"; mkdir -p "$etc" "$s/srv/d1" "$s/run"
  local pp ap cp op; pp=$(free_port); ap=$(free_port); cp=$(free_port); op=$(free_port)
  cat >"$etc/swift.conf" <<CONF
[swift-hash]
swift_hash_path_suffix = castor-test
swift_hash_path_prefix = castor-test
[storage-policy:0]
name = Policy-0
default = yes
CONF
  local common="bind_ip = 127.0.0.1
devices = $s/srv
mount_check = false
swift_dir = $etc
workers = 0
log_udp_host = 127.0.0.1
log_udp_port = 9
log_level = WARNING"
  for kind in account container object; do
    local port; case $kind in account) port=$ap;; container) port=$cp;; object) port=$op;; esac
    cat >"$etc/$kind-server.conf" <<CONF
[DEFAULT]
bind_port = $port
$common
[pipeline:main]
pipeline = $kind-server
[app:$kind-server]
use = egg:swift#$kind
[$kind-replicator]
[$kind-updater]
[$kind-auditor]
CONF
    (cd "$etc" && swift-ring-builder $kind.builder create 6 1 1 >/dev/null &&
      swift-ring-builder $kind.builder add "r1z1-127.0.0.1:$port/d1" 1 >/dev/null &&
      swift-ring-builder $kind.builder rebalance >/dev/null) || true
  done
  cat >"$etc/proxy-server.conf" <<CONF
[DEFAULT]
bind_port = $pp
$common
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF
  : >"$dir/swift.pid"
  for kind in account container object proxy; do
    swift-$kind-server "$etc/$kind-server.conf" >>"$dir/swift.log" 2>&1 &
    echo $! >>"$dir/swift.pid"
  done
  echo "$pp" >"$dir/swift.port"
  wait_http "http://127.0.0.1:$pp/healthcheck" 90 swift
  # The account and container servers may come up after the proxy.
  local tries=0
  until (aws_env swift; aws --endpoint-url "http://127.0.0.1:$pp" s3api create-bucket --bucket "$bucket" >/dev/null 2>>"$dir/swift.log"); do
    tries=$((tries + 1)); ((tries < 50)) || { echo "servers.sh: swift: cannot create bucket" >&2; tail -20 "$dir/swift.log" >&2; return 1; }
    sleep 0.3
  done
}

start_fake() {  # start_fake proxy|metadata
  local port; port=$(free_port)
  local extra=()
  [[ $1 == proxy ]] && extra=(--upstream "127.0.0.1:$(cat "$dir/moto.port")")
  python3 "$here/fakes.py" "$1" --port "$port" "${extra[@]}" >"$dir/$1.log" 2>&1 &
  echo $! >"$dir/$1.pid"
  echo "$port" >"$dir/$1.port"
  wait_http "http://127.0.0.1:$port/__fault__/stats" 30 "$1"
}

stop_one() {
  local f="$dir/$1.pid"
  [[ -f $f ]] || return 0
  while read -r pid; do
    [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  done <"$f"
  while read -r pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done <"$f"
  rm -f "$f" "$dir/$1.port"
}

case $cmd in
  start)
    for n in "${names[@]}"; do
      stop_one "$n"
      case $n in
        moto) start_moto ;;
        swift) start_swift ;;
        proxy|metadata) start_fake "$n" ;;
        *) echo "servers.sh: unknown server $n" >&2; exit 2 ;;
      esac
      echo "servers.sh: $n on 127.0.0.1:$(cat "$dir/$n.port")"
    done ;;
  stop)
    for n in proxy metadata swift moto; do stop_one "$n"; done ;;
  *) echo "usage: servers.sh start|stop DIR [names...]" >&2; exit 2 ;;
esac
