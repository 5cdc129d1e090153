# Shared helpers for scripts/*.sh (sourced, not run).

# apt_install PKG...: installs the Debian packages that are not installed
# yet, non-interactively; runs `apt-get update` at most once per boot.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  if [ ! -e /tmp/.oauthkit-apt-updated ]; then
    $sudo apt-get update -qq
    touch /tmp/.oauthkit-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
