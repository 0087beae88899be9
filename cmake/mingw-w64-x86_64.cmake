# SPDX-License-Identifier: MIT
# Cross-build for 64-bit Windows with Debian's mingw-w64 (package
# gcc-mingw-w64-x86-64):
#   cmake -S . -B build-win --toolchain cmake/mingw-w64-x86_64.cmake
# Test programs run through Wine (packages wine, wine64) when it is found.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_fdpass_triple x86_64-w64-mingw32)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
set(CMAKE_RC_COMPILER ${_fdpass_triple}-windres)

# libgcc linked in, so that libfdpass.dll and the test programs need no
# DLL but Windows' own (kernel32, ws2_32, msvcrt).
set(CMAKE_EXE_LINKER_FLAGS_INIT -static-libgcc)
set(CMAKE_SHARED_LINKER_FLAGS_INIT -static-libgcc)

find_program(FDPASS_WINE wine)
if(FDPASS_WINE AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${FDPASS_WINE})
endif()
