# SPDX-License-Identifier: MIT
# Build against musl instead of glibc with Debian's musl-gcc (package
# musl-tools), the C library of Alpine and OpenWrt:
#   cmake -S . -B build-musl --toolchain cmake/x86_64-linux-musl.cmake
# The programs run natively (musl's loader comes with package musl). A cross
# build as far as CMake knows, so the suites use tests/runner: Criterion is
# not built for musl.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER musl-gcc)

# musl-gcc searches musl's headers alone. The kernel's (linux/, asm/), which
# Alpine installs beside them, come from Debian's linux-libc-dev: linked
# into the build tree, so that glibc's headers stay out of sight.
set(_fdpass_kernel_headers ${CMAKE_BINARY_DIR}/kernel-headers)
file(MAKE_DIRECTORY ${_fdpass_kernel_headers})
file(CREATE_LINK /usr/include/linux ${_fdpass_kernel_headers}/linux SYMBOLIC)
file(CREATE_LINK /usr/include/asm-generic ${_fdpass_kernel_headers}/asm-generic
  SYMBOLIC)
file(CREATE_LINK /usr/include/x86_64-linux-gnu/asm
  ${_fdpass_kernel_headers}/asm SYMBOLIC)
set(CMAKE_C_FLAGS_INIT "-isystem ${_fdpass_kernel_headers}")
