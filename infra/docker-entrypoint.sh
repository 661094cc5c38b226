#!/bin/sh
# Entry point of the Switchyard image: `switchyard-service <gateway|thread|config|remote-control>`
# runs that service's bundle. exec: node becomes PID 1 and receives SIGTERM itself.
set -eu
service="${1:-}"
case "$service" in
  gateway | thread | config | remote-control)
    shift
    exec node --enable-source-maps "/app/services/$service/dist/main.js" "$@"
    ;;
  *)
    echo "usage: switchyard-service gateway|thread|config|remote-control" >&2
    exit 64
    ;;
esac
