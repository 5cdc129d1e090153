#!/usr/bin/env bash
# Installs what the Keycloak integration tests (tests/keycloak.rs) need:
# Keycloak's server distribution (org.keycloak:keycloak-quarkus-dist, a zip
# on Maven Central, fetched with `mvn dependency:copy`) unpacked once into a
# cache outside the checkout, and a Java 21+ runtime to run it (Keycloak 26
# does not start on Java 17, the machine's default).
#
# Where:   ${OAUTHKIT_KEYCLOAK_DIR:-$HOME/.cache/oauthkit-keycloak}/keycloak-$VERSION
# Java:    $OAUTHKIT_KEYCLOAK_JAVA_HOME, else $JAVA_HOME, else the newest
#          /usr/lib/jvm/* whose `java -version` is 21 or later; the one found
#          is written to <cache>/java-home for the tests.
# Skips everything already done; non-interactive; starts nothing (each test
# binary starts its own Keycloak on a free loopback port).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

version="${OAUTHKIT_KEYCLOAK_VERSION:-26.5.6}"
cache="${OAUTHKIT_KEYCLOAK_DIR:-$HOME/.cache/oauthkit-keycloak}"
home="$cache/keycloak-$version"
mkdir -p "$cache"

# java_major JAVA: prints the major version of that java binary (0 if none).
java_major() {
  [ -x "$1" ] || { echo 0; return; }
  "$1" -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'
}

java_home=""
for candidate in "${OAUTHKIT_KEYCLOAK_JAVA_HOME:-}" "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -Vr); do
  [ -n "$candidate" ] || continue
  candidate="${candidate%/}"
  if [ "$(java_major "$candidate/bin/java")" -ge 21 ] 2>/dev/null; then
    java_home="$candidate"
    break
  fi
done
if [ -z "$java_home" ]; then
  echo "setup-keycloak: Keycloak $version needs Java 21 or later, and none was found" >&2
  echo "  (looked at \$OAUTHKIT_KEYCLOAK_JAVA_HOME, \$JAVA_HOME and /usr/lib/jvm/*)." >&2
  echo "  Install one, e.g. 'apt-get install openjdk-21-jre-headless' or a Temurin 21+ JDK," >&2
  echo "  or point OAUTHKIT_KEYCLOAK_JAVA_HOME at it." >&2
  exit 1
fi
echo "$java_home" >"$cache/java-home"

if [ ! -x "$home/bin/kc.sh" ]; then
  command -v mvn >/dev/null 2>&1 || apt_install maven
  command -v unzip >/dev/null 2>&1 || apt_install unzip
  download="$cache/download"
  mkdir -p "$download"
  zip="$download/keycloak-quarkus-dist-$version.zip"
  if [ ! -s "$zip" ]; then
    echo "setup-keycloak: fetching org.keycloak:keycloak-quarkus-dist:$version:zip from Maven Central"
    # -q still prints colour resets on stdout; errors go to stderr.
    mvn -q -B -Dstyle.color=never dependency:copy \
      "-Dartifact=org.keycloak:keycloak-quarkus-dist:$version:zip" \
      "-DoutputDirectory=$download" -Dmdep.overWriteReleases=true >/dev/null
  fi
  # Unpacked beside the final place, then renamed: an interrupted run never
  # leaves a half-unpacked Keycloak that the check above would take as done.
  staging="$cache/unpacking.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  unzip -q "$zip" -d "$staging"
  rm -rf "$home"
  mv "$staging/keycloak-$version" "$home"
  rm -rf "$staging"
fi
echo "setup-keycloak: Keycloak $version in $home, Java $(java_major "$java_home/bin/java") in $java_home"
