# Shared by the Linux toolchain files (aarch64-, s390x-, i686-linux-gnu.cmake):
# Debian's cross compiler gcc-<triple> (package gcc-<triple with dashes>),
# whose C library lives in /usr/<triple>. Each file sets _fdpass_triple and
# CMAKE_SYSTEM_PROCESSOR, then includes this one.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${_fdpass_triple}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${_fdpass_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
