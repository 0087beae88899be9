# Build against musl instead of glibc with Debian's musl-gcc (package
# musl-tools), the C library of Alpine and OpenWrt:
#   cmake -S . -B build-musl --toolchain cmake/x86_64-linux-musl.cmake
# The programs run natively (musl's loader comes with package musl). A cross
# build as far as CMake knows, so the suites use tests/runner: Criterion is
# not built for musl.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER musl-gcc)
