#!/bin/bash -e
# pi-gen sub-stage: copy the Sweeper checkout into the image and run its installer there.
#
# Where the checkout comes from, first found wins:
#   files/sweeper/       a copy next to this script (what build-docker.sh needs: it only
#                        sees the pi-gen directory; see firmware/pi-gen/README.md)
#   $SWEEPER_SRC         a path on the build host (build.sh without Docker)
#   ../../../..          this stage used in place from a checkout (firmware/pi-gen/...)
# pi-gen runs this from its own directory, with ROOTFS_DIR and on_chroot provided.

if [ -d files/sweeper ]; then
	src="files/sweeper"
elif [ -n "${SWEEPER_SRC:-}" ]; then
	src="${SWEEPER_SRC}"
else
	src="$(cd ../../../.. && pwd)"
fi
if [ ! -f "${src}/firmware/install.sh" ]; then
	echo "stage-sweeper: no Sweeper checkout at ${src} (see firmware/pi-gen/README.md)" >&2
	exit 1
fi

dest="${ROOTFS_DIR}/opt/sweeper/src"
rm -rf "${dest}"
install -d "${dest}"
tar -C "${src}" --exclude=.git --exclude=.venv --exclude=__pycache__ --exclude='*.egg-info' \
	-cf - . | tar -C "${dest}" -xf -

# In the chroot systemd is not running: install.sh enables the units offline
# (systemctl --root=/) and leaves udev alone; everything takes effect at first boot.
on_chroot << EOF2
/opt/sweeper/src/firmware/install.sh
EOF2
