# SPDX-License-Identifier: MIT
# Shared by the toolchain files: Debian's cross compiler <triple>-gcc, whose
# C library and headers live in /usr/<triple>. Each file sets
# CMAKE_SYSTEM_NAME, CMAKE_SYSTEM_PROCESSOR and _fdpass_triple, then
# includes this one.
set(CMAKE_C_COMPILER ${_fdpass_triple}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${_fdpass_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
