# SPDX-License-Identifier: MIT
# Cross-build for 32-bit Windows with Debian's mingw-w64 (package
# gcc-mingw-w64-i686):
#   cmake -S . -B build-win32 --toolchain cmake/mingw-w64-i686.cmake
# Test programs run through Wine when Debian's wine32 (i386) is there.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86)

set(_fdpass_triple i686-w64-mingw32)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
set(CMAKE_RC_COMPILER ${_fdpass_triple}-windres)

# libgcc linked in, so that libfdpass.dll and the test programs need no
# DLL but Windows' own (kernel32, ws2_32, msvcrt).
set(CMAKE_EXE_LINKER_FLAGS_INIT -static-libgcc)
set(CMAKE_SHARED_LINKER_FLAGS_INIT -static-libgcc)

# 32-bit programs need wine32 (i386 multiarch); without it the suite is
# built but not run (docs/windows.md).
find_program(FDPASS_WINE wine)
if(FDPASS_WINE AND EXISTS /usr/lib/i386-linux-gnu/wine
   AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${FDPASS_WINE})
endif()
