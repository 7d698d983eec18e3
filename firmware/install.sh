#!/usr/bin/env bash
# Install Sweeper as a device on Raspberry Pi OS / Debian: packages, the `sweeper` user,
# the virtualenv, config, udev rules, the DVB driver blacklist, I2C in config.txt and
# the systemd units. See firmware/README.md.
#
#   sudo firmware/install.sh                  install on this machine
#   firmware/install.sh --dry-run             print every command it would run, change nothing
#   sudo firmware/install.sh --root DIR       install into a target root (a chroot, an
#                                             image being built): every path under DIR
#
# Idempotent: each step checks whether it is already done and says so; a second run
# changes nothing.
#
# SWEEPER_INSTALL_SKIP="apt user venv pip ..." skips the named steps (words from: apt
# user venv pip config udev modprobe boot systemd), e.g. to lay out the files into a
# scratch root without network access or a full OS in it (tests/test_firmware.py).
# SWEEPER_LIBRTLSDR_VERSION=2.0.1 overrides the detected librtlsdr version.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$(dirname "$HERE")"          # the repository checkout (holds setup.py, systemd/)
# shellcheck source=SCRIPTDIR/lib/pyrtlsdr-pin.sh
. "$HERE/lib/pyrtlsdr-pin.sh"

ROOT=""
DRY=0
SKIP=" ${SWEEPER_INSTALL_SKIP:-} "
VENV=/opt/sweeper/venv
USER_NAME=sweeper
GROUPS_WANTED=(gpio i2c plugdev)
MARK_BEGIN="# >>> sweeper (firmware/boot/config.txt.fragment) >>>"
MARK_END="# <<< sweeper <<<"
SYSTEMD_CHANGED=0

usage() {
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --root) [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 64; }
                ROOT="$2"; shift ;;
        --root=*) ROOT="${1#--root=}" ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 64 ;;
    esac
    shift
done
if [ -n "$ROOT" ]; then
    [ -d "$ROOT" ] || { echo "install.sh: --root $ROOT: no such directory" >&2; exit 64; }
    ROOT="$(cd "$ROOT" && pwd)"
    [ "$ROOT" = / ] && ROOT=""
fi
# Root for a real install; with --root a writable target root is enough for the file
# steps (apt, user, venv and pip need root there too: chroot / useradd --root).
if [ "$DRY" = 0 ] && [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo), or with --dry-run or --root DIR" >&2
    exit 1
fi

say()  { echo "sweeper-install: $*"; }
step() { echo; echo "== $1"; }
done_already() { say "already done: $*"; }
skipped() { case "$SKIP" in *" $1 "*) say "skipped ($1 in SWEEPER_INSTALL_SKIP)"; return 0 ;; esac; return 1; }

# run CMD...: run it, or with --dry-run print it (shell-quoted) and do nothing.
run() {
    if [ "$DRY" = 1 ]; then
        printf '+'; printf ' %q' "$@"; printf '\n'
    else
        "$@"
    fi
}

# in_target CMD...: run CMD inside the target (chroot when --root is given).
in_target() {
    if [ -n "$ROOT" ]; then run chroot "$ROOT" "$@"; else run "$@"; fi
}

# A systemd PID 1 on this machine that we may talk to (not with --root, not in a chroot).
systemd_live() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

# Read-only package queries against the target's dpkg database / apt cache.
pkg_installed() {
    local admindir="$ROOT/var/lib/dpkg"
    [ -f "$admindir/status" ] || return 1
    dpkg-query --admindir="$admindir" -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
apt_cache() {
    if [ -n "$ROOT" ] && [ -x "$ROOT/usr/bin/apt-cache" ]; then
        chroot "$ROOT" apt-cache "$@"
    else
        apt-cache "$@"
    fi
}
pkg_available() { apt_cache show --no-all-versions "$1" >/dev/null 2>&1; }

# install_file SRC DEST MODE: copy when missing or different. Returns 0 when it copied
# (or would, in a dry run), 1 when DEST was already identical.
install_file() {
    local src="$1" dest="$ROOT$2" mode="$3"
    if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
        done_already "$2"
        return 1
    fi
    run install -D -m "$mode" "$src" "$dest"
    return 0
}

# ---------------------------------------------------------------------------------------
step "1/9 apt: Debian packages"
if ! skipped apt; then
    # python3-venv: the virtualenv; python3-dev: building wheels pip has no binary for;
    # librtlsdr0 + rtl-sdr: the dongle (rtl_test for checks); iw + iproute2: monitor mode;
    # ieee-data: the MAC vendor registry; i2c-tools: i2cdetect to find the display.
    pkgs=(python3-venv python3-dev librtlsdr0 rtl-sdr iw iproute2 ieee-data i2c-tools)
    # gpiozero's lgpio backend (needed on the Pi 5, whose GPIO the old backends cannot
    # drive): only Raspberry Pi OS has it packaged; elsewhere `pip install lgpio` works.
    if pkg_available python3-lgpio; then pkgs+=(python3-lgpio)
    else say "python3-lgpio not in the package lists (not Raspberry Pi OS?): gpiozero falls back to another backend"; fi
    # Pillow (luma.oled) from piwheels, which Raspberry Pi OS's pip uses, links the
    # system's libopenjp2 and libtiff; PyPI's manylinux wheels bundle their own.
    if grep -qs piwheels "$ROOT/etc/pip.conf"; then
        pkgs+=(libopenjp2-7)
        if pkg_available libtiff6; then pkgs+=(libtiff6); elif pkg_available libtiff5; then pkgs+=(libtiff5); fi
    fi
    missing=()
    for p in "${pkgs[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    if [ ${#missing[@]} -eq 0 ]; then
        done_already "packages ${pkgs[*]}"
    else
        say "installing ${missing[*]}"
        in_target apt-get update -qq
        in_target env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
fi

# ---------------------------------------------------------------------------------------
step "2/9 user: system user $USER_NAME"
group_exists()   { grep -qs "^$1:" "$ROOT/etc/group"; }
user_in_group()  { grep -qsE "^$1:[^:]*:[^:]*:(.*,)?$USER_NAME(,|$)" "$ROOT/etc/group"; }
present_groups=()
for g in "${GROUPS_WANTED[@]}"; do
    if group_exists "$g"; then present_groups+=("$g"); fi
done
if ! skipped user; then
    useradd_root=()
    [ -n "$ROOT" ] && useradd_root=(--root "$ROOT")
    if grep -qs "^$USER_NAME:" "$ROOT/etc/passwd"; then
        done_already "user $USER_NAME exists"
        for g in "${present_groups[@]}"; do
            if user_in_group "$g"; then done_already "$USER_NAME in group $g"
            else run usermod "${useradd_root[@]}" --append --groups "$g" "$USER_NAME"; fi
        done
    else
        group_opt=()
        [ ${#present_groups[@]} -gt 0 ] && group_opt=(--groups "$(IFS=,; echo "${present_groups[*]}")")
        run useradd "${useradd_root[@]}" --system --user-group "${group_opt[@]}" \
            --home-dir /var/lib/sweeper --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
    fi
fi

# ---------------------------------------------------------------------------------------
step "3/9 venv: $VENV"
if ! skipped venv; then
    # --system-site-packages: sees python3-lgpio (gpiozero's Pi 5 backend) from apt.
    if [ -x "$ROOT$VENV/bin/python" ]; then
        done_already "virtualenv $VENV"
    else
        in_target python3 -m venv --system-site-packages "$VENV"
    fi
fi

# ---------------------------------------------------------------------------------------
step "4/9 pip: Sweeper and pyrtlsdr into the venv"
# The librtlsdr pyrtlsdr will load, most specific first: a library built from source in
# /usr/local (the RTL-SDR Blog V4 driver: its librtlsdr.pc has the version; without one,
# the symbol pyrtlsdr 0.4+ needs marks 2.x), then the librtlsdr0 package installed, then
# the one apt would install. rtl_test prints no library version, hence not rtl_test.
librtlsdr_version() {
    local pc lib
    if [ -n "${SWEEPER_LIBRTLSDR_VERSION:-}" ]; then
        echo "$SWEEPER_LIBRTLSDR_VERSION"; return
    fi
    for pc in "$ROOT"/usr/local/lib/pkgconfig/librtlsdr.pc "$ROOT"/usr/local/lib/*/pkgconfig/librtlsdr.pc; do
        if [ -f "$pc" ]; then sed -n 's/^Version:[[:space:]]*//p' "$pc"; return; fi
    done
    for lib in "$ROOT"/usr/local/lib/librtlsdr.so* "$ROOT"/usr/local/lib/*/librtlsdr.so*; do
        if [ -f "$lib" ] && grep -qa rtlsdr_set_dithering "$lib"; then echo 2.0; return; fi
    done
    if pkg_installed librtlsdr0; then
        dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Version}' librtlsdr0; return
    fi
    apt_cache policy librtlsdr0 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p' | grep -v '(none)' || true
}
src_hash() {
    (cd "$SRC" && find setup.py README.md sweeper -type f ! -path '*/__pycache__/*' ! -name '*.pyc' \
        -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}
rtl_version="$(librtlsdr_version)"
PIN="$(pyrtlsdr_pin "$rtl_version")"
say "librtlsdr ${rtl_version:-unknown} -> $PIN"
if ! skipped pip; then
    # Inside the target the checkout must be visible: with --root, copy it to
    # /opt/sweeper/src unless it already lies inside the root (pi-gen puts it there).
    target_src="$SRC"
    if [ -n "$ROOT" ]; then
        case "$SRC/" in
            "$ROOT"/*) target_src="${SRC#"$ROOT"}" ;;
            *) target_src=/opt/sweeper/src
               if [ -d "$ROOT$target_src" ] && diff -rq -x __pycache__ "$SRC/sweeper" "$ROOT$target_src/sweeper" >/dev/null 2>&1 \
                    && cmp -s "$SRC/setup.py" "$ROOT$target_src/setup.py"; then
                   done_already "source copied to $target_src"
               else
                   run rm -rf "$ROOT$target_src"
                   run install -d "$ROOT$target_src"
                   run cp -a "$SRC/setup.py" "$SRC/README.md" "$SRC/sweeper" "$SRC/systemd" "$SRC/firmware" "$ROOT$target_src/"
               fi ;;
        esac
    fi
    stamp="$VENV/.sweeper-install"
    want="$(src_hash) $PIN"
    if [ -f "$ROOT$stamp" ] && [ "$(cat "$ROOT$stamp")" = "$want" ]; then
        done_already "sweeper and $PIN installed in $VENV"
    else
        # Not the [sdr] extra: it pins 0.3.0 whatever the library; PIN decides instead.
        in_target "$VENV/bin/python" -m pip install --upgrade --no-warn-script-location "$target_src" "$PIN"
        if [ "$DRY" = 1 ]; then say "would record $stamp"
        else printf '%s\n' "$want" > "$ROOT$stamp"; fi
    fi
    # `sweeper` on everyone's PATH, as the README's commands are typed
    if [ "$(readlink "$ROOT/usr/local/bin/sweeper" 2>/dev/null)" = "$VENV/bin/sweeper" ]; then
        done_already "/usr/local/bin/sweeper -> $VENV/bin/sweeper"
    else
        run install -d "$ROOT/usr/local/bin"
        run ln -sfn "$VENV/bin/sweeper" "$ROOT/usr/local/bin/sweeper"
    fi
fi

# ---------------------------------------------------------------------------------------
step "5/9 config: /etc/sweeper/config.yaml"
if ! skipped config; then
    # 0640 root:sweeper: it holds the MQTT password and the MAC-hashing salt; the daemon
    # (group sweeper) reads it, other users do not
    cfg="$ROOT/etc/sweeper/config.yaml"
    gid="$(awk -F: -v g="$USER_NAME" '$1 == g { print $3 }' "$ROOT/etc/group" 2>/dev/null || true)"
    if [ -e "$cfg" ]; then
        done_already "/etc/sweeper/config.yaml exists (never overwritten)"
        if [ "$(stat -c %a "$cfg")" != 640 ]; then run chmod 0640 "$cfg"; fi
        if [ -n "$gid" ] && [ "$(stat -c %g "$cfg")" != "$gid" ]; then run chgrp "$gid" "$cfg"; fi
    else
        run install -D -m 0640 ${gid:+-g "$gid"} "$SRC/sweeper/data/config.example.yaml" "$cfg"
    fi
fi

# ---------------------------------------------------------------------------------------
step "6/9 udev: RTL-SDR permissions, Wi-Fi adapter name"
if ! skipped udev; then
    udev_changed=0
    for r in 60-sweeper-rtlsdr.rules 70-sweeper-wifi.rules; do
        if install_file "$HERE/udev/$r" "/etc/udev/rules.d/$r" 0644; then udev_changed=1; fi
    done
    if [ "$udev_changed" = 1 ] && [ -z "$ROOT" ] && [ -d /run/udev ] && command -v udevadm >/dev/null 2>&1; then
        run udevadm control --reload
        run udevadm trigger --subsystem-match=usb --attr-match=idVendor=0bda
        say "replug the Wi-Fi adapter (or reboot) for the sweepwifi0 name"
    fi
fi

# ---------------------------------------------------------------------------------------
step "7/9 modprobe: keep the DVB-T driver off the dongle; i2c-dev at boot"
if ! skipped modprobe; then
    install_file "$HERE/modprobe.d/blacklist-rtlsdr.conf" /etc/modprobe.d/blacklist-rtlsdr.conf 0644 || true
    install_file "$HERE/modules-load.d/sweeper-i2c.conf" /etc/modules-load.d/sweeper-i2c.conf 0644 || true
    if [ -z "$ROOT" ] && grep -qs '^dvb_usb_rtl28xxu ' /proc/modules; then
        say "dvb_usb_rtl28xxu is loaded now: reboot, or unplug the dongle and run"
        say "  sudo modprobe -r dvb_usb_rtl28xxu rtl2832_sdr rtl2832 rtl2830"
    fi
fi

# ---------------------------------------------------------------------------------------
step "8/9 boot: I2C in config.txt"
if ! skipped boot; then
    cfg=""
    for c in /boot/firmware/config.txt /boot/config.txt; do
        if [ -f "$ROOT$c" ]; then cfg="$c"; break; fi
    done
    if [ -z "$cfg" ]; then
        say "no /boot/firmware/config.txt or /boot/config.txt: not a Raspberry Pi image; left alone"
    else
        block="$(printf '%s\n' "$MARK_BEGIN"; cat "$HERE/boot/config.txt.fragment"; printf '%s\n' "$MARK_END")"
        current="$(sed -n "\|^$MARK_BEGIN\$|,\|^$MARK_END\$|p" "$ROOT$cfg")"
        if [ "$current" = "$block" ]; then
            done_already "$cfg has the sweeper block"
        else
            if [ -n "$current" ]; then
                say "replacing the outdated sweeper block in $cfg"
                run sed -i "\|^$MARK_BEGIN\$|,\|^$MARK_END\$|d" "$ROOT$cfg"
            fi
            say "appending firmware/boot/config.txt.fragment to $cfg (active after a reboot)"
            if [ "$DRY" = 1 ]; then
                printf '+ cat %q >> %q   (between marker lines)\n' "$HERE/boot/config.txt.fragment" "$ROOT$cfg"
            else
                printf '\n%s\n' "$block" >> "$ROOT$cfg"
            fi
        fi
    fi
fi

# ---------------------------------------------------------------------------------------
step "9/9 systemd: units, polkit rule, enable"
if ! skipped systemd; then
    # sweeper-sweep@.{service,timer}: per-room schedules, enabled by staff per room (README)
    for u in sweeper.service sweeper-sweep.service sweeper-sweep.timer sweeper-sweep@.service sweeper-sweep@.timer; do
        if install_file "$SRC/systemd/$u" "/etc/systemd/system/$u" 0644; then SYSTEMD_CHANGED=1; fi
    done
    install_file "$SRC/systemd/50-sweeper-poweroff.rules" /etc/polkit-1/rules.d/50-sweeper-poweroff.rules 0644 || true

    # A group missing from SupplementaryGroups= stops the service (216/GROUP): on systems
    # without gpio/i2c/plugdev, a drop-in lists only those that exist.
    dropin=/etc/systemd/system/sweeper.service.d/10-groups.conf
    if [ ${#present_groups[@]} -eq ${#GROUPS_WANTED[@]} ]; then
        if [ -e "$ROOT$dropin" ]; then run rm -f "$ROOT$dropin"; SYSTEMD_CHANGED=1
        else done_already "groups ${GROUPS_WANTED[*]} all exist, no drop-in needed"; fi
    else
        tmp="$(mktemp)"
        {
            printf '# Written by firmware/install.sh: only the groups that exist on this system.\n'
            printf '[Service]\nSupplementaryGroups=\n'
            [ ${#present_groups[@]} -eq 0 ] || printf 'SupplementaryGroups=%s\n' "${present_groups[*]}"
        } > "$tmp"
        if install_file "$tmp" "$dropin" 0644; then SYSTEMD_CHANGED=1; fi
        rm -f "$tmp"
    fi

    # 20-network.conf: IP to nothing but what the config needs (the MQTT broker, a network
    # dongle), written by the installed `sweeper netpolicy` from the config of step 5.
    # Re-run `sudo sweeper netpolicy --install` after changing mqtt.host or rf.rtl_tcp.host.
    net_dropin=/etc/systemd/system/sweeper.service.d/20-network.conf
    netpolicy=("$VENV/bin/sweeper" --config /etc/sweeper/config.yaml netpolicy)
    [ -z "$ROOT" ] || netpolicy=(chroot "$ROOT" "${netpolicy[@]}")
    if [ "$DRY" = 1 ]; then
        run "${netpolicy[@]}" --install
    elif [ ! -x "$ROOT$VENV/bin/sweeper" ]; then
        say "no $VENV/bin/sweeper yet: run \`sudo sweeper netpolicy --install\` after installing it"
    else
        tmp="$(mktemp)"
        if "${netpolicy[@]}" > "$tmp"; then
            if install_file "$tmp" "$net_dropin" 0644; then SYSTEMD_CHANGED=1; fi
        else
            say "the network allow-list was not written (above); fix the config, then \`sudo sweeper netpolicy --install\`"
        fi
        rm -f "$tmp"
    fi

    units=(sweeper.service sweeper-sweep.timer)
    if [ -n "$ROOT" ]; then
        sysctl_cmd=(systemctl --root="$ROOT")
    elif systemd_live; then
        sysctl_cmd=(systemctl)
        if [ "$SYSTEMD_CHANGED" = 1 ]; then run systemctl daemon-reload
        else done_already "systemd has the current units"; fi
    else
        # a chroot (pi-gen) or a container: no PID 1 to talk to; enable offline
        sysctl_cmd=(systemctl --root=/)
    fi
    if ! command -v systemctl >/dev/null 2>&1; then
        say "no systemctl here: enable ${units[*]} on the target yourself"
    else
        for u in "${units[@]}"; do
            if [ "$("${sysctl_cmd[@]}" is-enabled "$u" 2>/dev/null || true)" = enabled ]; then
                done_already "$u enabled"
            else
                run "${sysctl_cmd[@]}" enable "$u"
            fi
        done
    fi
fi

echo
if [ "$DRY" = 1 ]; then
    say "dry run: nothing was changed"
else
    say "done. Check the hardware with: sudo -u $USER_NAME sweeper selftest"
    say "then reboot (I2C and the driver blacklist take effect at boot), or: sudo systemctl start sweeper.service"
fi
