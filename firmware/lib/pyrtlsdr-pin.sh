#!/usr/bin/env bash
# shellcheck shell=bash
# Which pyrtlsdr goes with which librtlsdr. Sourced by firmware/install.sh; also runnable:
#     firmware/lib/pyrtlsdr-pin.sh 0.6.0-4      ->  pyrtlsdr==0.3.0
#
# pyrtlsdr 0.4 and 0.5 bind rtlsdr_set_dithering(), which only librtlsdr 2.0 and newer
# export: against Debian bookworm's librtlsdr0 0.6.0 they fail at import with
# "undefined symbol: rtlsdr_set_dithering"; 0.3.0 works there. librtlsdr >= 2.0 (needed by
# the RTL-SDR Blog V4 anyway) takes any pyrtlsdr from 0.3.0 on.

# pyrtlsdr_pin VERSION: print the pip requirement for a librtlsdr version (a Debian
# version such as 0.6.0-4 or 1:2.0.1-1, or an upstream one such as 2.0.2). An empty or
# unknown version gets the pin that works with the older library.
pyrtlsdr_pin() {
    local v="${1:-}"
    v="${v#*:}"            # epoch
    v="${v%%[-+~]*}"       # Debian revision, +build / ~rc suffixes
    if [[ "$v" =~ ^[0-9]+(\.[0-9]+)*$ ]] && version_ge "$v" 2.0; then
        echo "pyrtlsdr>=0.3.0"
    else
        echo "pyrtlsdr==0.3.0"
    fi
}

# version_ge A B: true when dotted version A >= B (numeric, field by field).
version_ge() {
    local IFS=.
    local -a a b
    read -r -a a <<<"$1"
    read -r -a b <<<"$2"
    local i n=$(( ${#a[@]} > ${#b[@]} ? ${#a[@]} : ${#b[@]} ))
    for (( i = 0; i < n; i++ )); do
        local x=$(( 10#${a[i]:-0} )) y=$(( 10#${b[i]:-0} ))
        (( x > y )) && return 0
        (( x < y )) && return 1
    done
    return 0
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    pyrtlsdr_pin "${1:-}"
fi
