# Shared by bin/ferry and scripts/*: find a JDK 21+ and Maven, installing Maven on Debian when run as root.
# Sourced, not executed.

ferry_say() { printf 'ferry: %s\n' "$*" >&2; }

# The Java feature version of a JDK home, or nothing. Reads the JDK's `release` file (no JVM start); falls back to
# asking the JVM.
ferry_java_version() {
  local v=""
  [ -f "$1/release" ] && v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release")
  [ -n "$v" ] || v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ { print $2; exit }')
  echo "${v%%.*}"
}

# Sets JAVA_HOME to a JDK 21 or newer: $JAVA_HOME if it qualifies, otherwise the newest under /usr/lib/jvm.
ferry_find_jdk() {
  local candidate version best="" best_version=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    version=$(ferry_java_version "$JAVA_HOME")
    if [ "${version%%.*}" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] || continue
    version=$(ferry_java_version "$candidate")
    version=${version%%.*}
    if [ "${version:-0}" -ge 21 ] 2>/dev/null && [ "$version" -gt "$best_version" ]; then
      best=$candidate
      best_version=$version
    fi
  done
  if [ -z "$best" ]; then
    ferry_say "Ferry needs a JDK 21 or newer and found none (JAVA_HOME=${JAVA_HOME:-unset}, nothing suitable in /usr/lib/jvm)."
    ferry_say "Install one (for example Temurin 21 or 25) and set JAVA_HOME to it."
    return 1
  fi
  export JAVA_HOME=$best
}

# Makes sure `mvn` is on PATH, installing Debian's maven package when possible.
ferry_find_maven() {
  command -v mvn >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    ferry_say "installing Maven (apt-get install maven)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >&2 && return 0
  fi
  ferry_say "Ferry builds with Maven 3.8 or newer; install it (Debian: apt-get install maven)."
  return 1
}
