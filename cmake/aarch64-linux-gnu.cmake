# SPDX-License-Identifier: MIT
# Cross-build for 64-bit ARM with Debian's gcc-aarch64-linux-gnu:
#   cmake -S . -B build-aarch64 --toolchain cmake/aarch64-linux-gnu.cmake
# CTest runs the test programs under qemu-user (package qemu-user), which
# finds the target's C library under -L.
set(CMAKE_SYSTEM_NAME Linux)
set(_fdpass_triple aarch64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/${_fdpass_triple})
