# SPDX-License-Identifier: MIT
# Cross-build for IBM Z, 64-bit big-endian, with Debian's gcc-s390x-linux-gnu:
#   cmake -S . -B build-s390x --toolchain cmake/s390x-linux-gnu.cmake
# CTest runs the test programs under qemu-user (package qemu-user), which
# finds the target's C library under -L.
set(CMAKE_SYSTEM_NAME Linux)
set(_fdpass_triple s390x-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR s390x)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-s390x -L /usr/${_fdpass_triple})
