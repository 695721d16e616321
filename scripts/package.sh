#!/usr/bin/env bash
# Builds the workstation packages into dist/ (docs/PACKAGING.md):
#   windows      lamppost-VER-windows-x86_64.zip        (portable folder, lamppost.exe)
#   linux-amd64  lamppost_VER_amd64.deb + lamppost-VER-linux-x86_64.tar.gz
#   linux-arm64  lamppost_VER_arm64.deb + lamppost-VER-linux-arm64.tar.gz
# and dist/SHA256SUMS for everything in dist/.
#
#   scripts/package.sh [--deps|--deps-only] [--test] [--no-build] [windows|linux-amd64|linux-arm64 ...]
#   (default: all three)
#
# --deps installs what the cross builds need (apt-get, rustup targets; root, idempotent);
#        with --test also what the tests need (Wine, Xvfb, qemu-user, the arm64 X11/GL libraries).
# --deps-only only that, and exits (.ci/run does it while the lints run).
# --no-build packages the executables already built, without calling cargo.
# --test runs the tests on what was built, unpacked from the zip and the .debs after checking
#        their checksums: scripts/wine-smoke.sh for Windows (Wine, Xvfb); for
#        arm64 under qemu-user scripts/smoke-cli.sh, the cargo CLI tests (tests/common/mod.rs)
#        and the window (scripts/arm64-gui-smoke.sh); natively the same two CLI tests for amd64.
# Times of each step (wall and CPU) go to stdout and to dist/TIMES.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DEPS=0
TEST=0
NOBUILD=0
PLATFORMS=()
for a in "$@"; do
    case "$a" in
        --deps) DEPS=1 ;;
        --test) TEST=1 ;;
        --no-build) NOBUILD=1 ;;
        --deps-only) DEPS=2 ;;
        windows | linux-amd64 | linux-arm64) PLATFORMS+=("$a") ;;
        -h | --help)
            sed -n '2,20p' "$0"
            exit 0
            ;;
        *)
            echo "unknown argument: $a" >&2
            exit 2
            ;;
    esac
done
[ ${#PLATFORMS[@]} -gt 0 ] || PLATFORMS=(windows linux-amd64 linux-arm64)

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
DIST=$ROOT/dist
PROFILE=dist
mkdir -p "$DIST"
TIMES=$DIST/TIMES.txt

# step NAME COMMAND...: runs a step and records how long it took, wall and CPU, in $TIMES.
# shellcheck source=scripts/steptime.sh
. scripts/steptime.sh
STEP_LOG=$TIMES

install_deps() {
    local want=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || want+=("$p")
    done
    if [ ${#want[@]} -gt 0 ]; then
        # arm64 libraries as a foreign architecture, for the arm64 window under qemu-user.
        case " ${want[*]} " in
            *:arm64\ *) dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64 ;;
        esac
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
    fi
}

rust_target() {
    rustup target list --installed | grep -qx "$1" || rustup target add "$1"
}

deps() {
    local pkgs=(zip binutils)
    for p in "${PLATFORMS[@]}"; do
        case $p in
            windows)
                pkgs+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)
                [ $TEST = 0 ] || pkgs+=(wine wine64 xvfb xauth xdotool xclip imagemagick x11-utils)
                ;;
            linux-arm64)
                pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
                # The libraries the arm64 window loads (scripts/arm64-gui-smoke.sh): the glibc,
                # X11 and xkbcommon for winit, Mesa's GL/EGL with llvmpipe for glow.
                [ $TEST = 0 ] || pkgs+=(qemu-user xvfb xauth xdotool imagemagick x11-utils
                    libc6:arm64 libgcc-s1:arm64 libx11-6:arm64 libx11-xcb1:arm64 libxcursor1:arm64
                    libxi6:arm64 libxrandr2:arm64 libxkbcommon0:arm64 libxkbcommon-x11-0:arm64
                    libgl1:arm64 libegl1:arm64 libgl1-mesa-dri:arm64 libglx-mesa0:arm64
                    libegl-mesa0:arm64)
                ;;
        esac
    done
    install_deps "${pkgs[@]}"
    # Linux builds link against glibc 2.28 (UOS 20, Kylin V10, Debian 10) through zig, whatever
    # this machine's glibc is: both come as PyPI wheels.
    case " ${PLATFORMS[*]} " in
        *linux*) command -v cargo-zigbuild >/dev/null && python3 -m ziglang version >/dev/null 2>&1 ||
            python3 -m pip install -q --root-user-action=ignore cargo-zigbuild ziglang ||
            echo "warning: cannot install cargo-zigbuild; the Linux packages will need this machine's glibc" >&2 ;;
    esac
    for p in "${PLATFORMS[@]}"; do
        case $p in
            windows) rust_target x86_64-pc-windows-gnu ;;
            linux-arm64) rust_target aarch64-unknown-linux-gnu ;;
        esac
    done
}

# The portable folder, common to every platform: program, assets, data, licences, README.
stage_folder() {
    local dir=$1 exe=$2 platform=$3
    rm -rf "$dir"
    mkdir -p "$dir/assets" "$dir/data"
    cp "$exe" "$dir/"
    # The basemap builder (tools/basemap-builder), for supervisors, beside the program.
    local builder=${exe%/lamppost*}/lamppost-basemap-builder${exe##*/lamppost}
    cp "$builder" "$dir/"
    cp -r assets/fonts assets/basemap assets/icon "$dir/assets/"
    rm -f "$dir/assets/icon/make_icon.py" "$dir/assets/fonts/charset.py"
    cp -r data/demo "$dir/data/"
    cp LICENSE-MIT LICENSE-APACHE "$dir/"
    sed -e "s/@VERSION@/$VERSION/" -e "s/@PLATFORM@/$platform/" packaging/README.txt >"$dir/README.txt"
    third_party "$4" >"$dir/THIRD-PARTY.txt"
}

# The crates compiled into the program for one target, with their licences.
third_party() {
    cargo metadata --locked --format-version 1 --filter-platform "$1" | python3 scripts/third_party.py
}

# The release builds are not linted: `.ci/run` lints the test build, and keeps clippy's two
# variables set for the packages' cargo CLI tests (scripts/cli-suite.sh reuses that build).
nolint=(env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS)

build() {
    local target=$1
    shift
    [ $NOBUILD = 0 ] || return 0
    "${nolint[@]}" cargo build --locked --profile "$PROFILE" --target "$target" -p lamppost -p lamppost-basemap-builder "$@"
}

# The oldest glibc the Linux packages run on: UOS 20 and Kylin V10 have 2.28.
GLIBC_FLOOR=2.28

# Linux: with cargo-zigbuild, link against glibc $GLIBC_FLOOR; without it, against this machine's
# glibc (Debian 12: 2.36, too new for UOS 20 and Kylin V10), with a warning.
build_linux() {
    local target=$1
    [ $NOBUILD = 0 ] || return 0
    if command -v cargo-zigbuild >/dev/null; then
        "${nolint[@]}" cargo zigbuild --locked --profile "$PROFILE" --target "$target.$GLIBC_FLOOR" \
            -p lamppost -p lamppost-basemap-builder
    else
        echo "warning: no cargo-zigbuild (scripts/package.sh --deps): the package needs this machine's glibc" >&2
        build "$target"
    fi
}

package_windows() {
    local t=x86_64-pc-windows-gnu name=lamppost-$VERSION-windows-x86_64
    step "build windows (cargo --profile dist)" build $t
    local exe=$TARGET_DIR/$t/$PROFILE/lamppost.exe
    local stage=$DIST/stage/$name
    stage_folder "$stage" "$exe" "Windows x86-64" $t
    # Windows users open README.txt in Notepad: CRLF line ends.
    sed -i 's/$/\r/' "$stage/README.txt" "$stage/THIRD-PARTY.txt"
    rm -f "$DIST/$name.zip"
    (cd "$DIST/stage" && zip -qr -X "$DIST/$name.zip" "$name")
    echo "built $DIST/$name.zip"
}

# A Debian package: the folder in /opt/lamppost, `lamppost` on the PATH, a menu entry and icon.
make_deb() {
    local arch=$1 folder=$2 exe_name=lamppost
    local root=$DIST/stage/deb-$arch
    rm -rf "$root"
    mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
        "$root/usr/share/icons/hicolor/256x256/apps" "$root/usr/share/icons/hicolor/scalable/apps" \
        "$root/usr/share/doc/lamppost"
    cp -r "$folder" "$root/opt/lamppost"
    ln -s /opt/lamppost/$exe_name "$root/usr/bin/lamppost"
    cp packaging/lamppost.desktop "$root/usr/share/applications/"
    cp assets/icon/lamppost.png "$root/usr/share/icons/hicolor/256x256/apps/"
    cp assets/icon/lamppost.svg "$root/usr/share/icons/hicolor/scalable/apps/"
    {
        echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
        echo "Upstream-Name: lamppost"
        echo
        echo "Files: *"
        echo "License: MIT or Apache-2.0"
        echo " See /opt/lamppost/LICENSE-MIT and /usr/share/common-licenses/Apache-2.0."
        echo " Font: SIL OFL 1.1 (/opt/lamppost/assets/fonts). Demo data and basemap:"
        echo " (c) OpenStreetMap contributors, ODbL 1.0; world overview tiles CC BY-SA 2.0."
        echo " Rust crates: /opt/lamppost/THIRD-PARTY.txt."
    } >"$root/usr/share/doc/lamppost/copyright"
    # The newest glibc symbol version the program needs: the real floor for libc6.
    local glibc
    glibc=$(readelf -W --dyn-syms "$folder/$exe_name" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' |
        sort -V | tail -1) || true
    [ -n "$glibc" ] || glibc=2.17
    local size
    size=$(du -sk "$root" | cut -f1)
    cat >"$root/DEBIAN/control" <<EOF
Package: lamppost
Version: $VERSION
Architecture: $arch
Maintainer: Lamppost project <lamppost@localhost>
Installed-Size: $size
Depends: libc6 (>= $glibc), libgcc-s1
Recommends: libgl1, libegl1, libx11-6, libxcursor1, libxi6, libxrandr2, libxkbcommon-x11-0
Section: utils
Priority: optional
Description: offline lamp-post alarm-code locator (灯杆报警定位)
 For police and emergency call-takers: find a street lamp post from the alarm
 code on its sign, or a street name and pole number, with no network.
 The program, fonts, basemap and demo data are in /opt/lamppost; databases and
 the call log live in each user's ~/.local/share/lamppost.
EOF
    find "$root" -type d -exec chmod 0755 {} +
    local deb=$DIST/lamppost_${VERSION}_$arch.deb
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
    echo "built $deb (libc6 >= $glibc)"
}

package_linux() {
    local arch=$1 t=$2 tarch=$3
    step "build linux-$arch (cargo --profile dist)" build_linux "$t"
    local exe=$TARGET_DIR/$t/$PROFILE/lamppost
    local name=lamppost-$VERSION-linux-$tarch
    local stage=$DIST/stage/$name
    stage_folder "$stage" "$exe" "Linux $tarch" "$t"
    rm -f "$DIST/$name.tar.gz"
    tar -C "$DIST/stage" -czf "$DIST/$name.tar.gz" "$name"
    step "deb $arch (dpkg-deb)" make_deb "$arch" "$stage"
}

t_all=$SECONDS
echo "# scripts/package.sh ${*:-} — $(date -u +%FT%TZ)" >>"$TIMES"
[ $DEPS = 0 ] || step "install build dependencies" deps
[ $DEPS != 2 ] || exit 0
for p in "${PLATFORMS[@]}"; do
    case $p in
        windows) package_windows ;;
        linux-amd64) package_linux amd64 x86_64-unknown-linux-gnu x86_64 ;;
        linux-arm64) package_linux arm64 aarch64-unknown-linux-gnu arm64 ;;
    esac
done

(cd "$DIST" && { sha256sum -- *.zip *.deb *.tar.gz 2>/dev/null >SHA256SUMS || true; })
echo "== checksums (dist/SHA256SUMS) =="
cat "$DIST/SHA256SUMS"

# The tests run what ships, not the staging folder: each archive is checked against SHA256SUMS
# and unpacked as a person would (the zip into a folder, the .deb with dpkg-deb -x, which is what
# dpkg installs under /), and the program is started from there.
UNPACKED=
unpack() {
    local file=$1 dest=$2
    if ! (cd "$DIST" && grep -F " $file" SHA256SUMS | sha256sum --check --quiet --strict -); then
        echo "$file does not match dist/SHA256SUMS" >&2
        return 1
    fi
    mkdir -p "$dest"
    case $file in
        *.zip) python3 -m zipfile -e "$DIST/$file" "$dest" ;;
        *.deb) dpkg-deb -x "$DIST/$file" "$dest" ;;
    esac
}
if [ $TEST = 1 ]; then
    UNPACKED=$(mktemp -d /tmp/lamppost-unpacked.XXXXXX)
    trap 'rm -rf "$UNPACKED"' EXIT
    for p in "${PLATFORMS[@]}"; do
        case $p in
            windows)
                name=lamppost-$VERSION-windows-x86_64
                unpack "$name.zip" "$UNPACKED/zip"
                step "smoke test windows (Wine + Xvfb)" scripts/wine-smoke.sh "$UNPACKED/zip/$name"
                ;;
            linux-arm64)
                unpack "lamppost_${VERSION}_arm64.deb" "$UNPACKED/deb-arm64"
                arm=$UNPACKED/deb-arm64/opt/lamppost/lamppost
                # With Debian's arm64 glibc installed as a foreign architecture (libc6:arm64,
                # what the window test needs), qemu finds it by itself; pointing it at the
                # cross sysroot as well (-L /usr/aarch64-linux-gnu) makes the program spin
                # forever at the first index build (seen 2026-12-01). Use -L only without it.
                qemu=(qemu-aarch64)
                [ -e /lib/ld-linux-aarch64.so.1 ] || qemu+=(-L /usr/aarch64-linux-gnu)
                step "smoke test arm64 CLI (qemu-user)" scripts/smoke-cli.sh "$arm" "${qemu[@]}"
                step "cargo CLI tests, arm64 exe (qemu-user)" scripts/cli-suite.sh arm64 "$arm" \
                    "${qemu[@]}"
                step "arm64 window (qemu-user + Xvfb)" scripts/arm64-gui-smoke.sh "$arm"
                ;;
            linux-amd64)
                unpack "lamppost_${VERSION}_amd64.deb" "$UNPACKED/deb-amd64"
                amd=$UNPACKED/deb-amd64/opt/lamppost/lamppost
                step "smoke test amd64 CLI" scripts/smoke-cli.sh "$amd"
                step "cargo CLI tests, amd64 exe" scripts/cli-suite.sh amd64 "$amd"
                ;;
        esac
    done
fi
cpu_s
printf '%-46s %5d s wall %5d s CPU\n' "package.sh total" $((SECONDS - t_all)) "$CPU" | tee -a "$TIMES"
