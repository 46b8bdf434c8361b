#!/bin/sh
# Ferry's example worker: no HTTP, one log line every --interval seconds.
interval=10
if [ "$1" = "--interval" ] && [ -n "$2" ]; then
  interval=$2
fi
while true; do
  echo "hello-worker 1.0.0: tick"
  sleep "$interval"
done
