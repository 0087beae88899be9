# SPDX-License-Identifier: MIT
# Cross-build for 32-bit x86 with Debian's gcc-i686-linux-gnu (gcc-multilib
# would conflict with the aarch64 and s390x cross compilers):
#   cmake -S . -B build-i386 --toolchain cmake/i686-linux-gnu.cmake
# The test programs run natively on an x86-64 kernel, with the 32-bit C
# library of package libc6-i386; not under qemu-i386, whose descriptor
# passing misbehaves.
set(CMAKE_SYSTEM_NAME Linux)
set(_fdpass_triple i686-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR i686)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
