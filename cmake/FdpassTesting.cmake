# SPDX-License-Identifier: MIT
# Helpers shared by tests/ and fuzz/.


# Valgrind runs every suite again (label "valgrind"), except in sanitizer
# builds, where ASan and UBSan do that job, and cross builds, whose programs
# the host's valgrind cannot run.
find_program(FDPASS_VALGRIND valgrind)
if(FDPASS_VALGRIND AND NOT FDPASS_SANITIZE AND NOT CMAKE_CROSSCOMPILING)
  set(FDPASS_WITH_VALGRIND ON)
else()
  set(FDPASS_WITH_VALGRIND OFF)
  message(STATUS "fdpass: no valgrind runs "
    "(valgrind not found, sanitizers on, or a cross build)")
endif()

# fdpass_add_valgrind_test(NAME PROGRAM ARGS... [MEMORY_ONLY]
# [ENVIRONMENT VAR=VALUE...] [WRAPPER COMMAND...]): run PROGRAM (a target
# of this build, or a command such as an interpreter) with ARGS under
# memcheck as CTest test valgrind:NAME, failing on any memory error or
# leak; MEMORY_ONLY for the interpreters, which keep their memory pools to
# the end: errors only. WRAPPER runs the whole under COMMAND
# (tests/run-suite.sh for the suites).
function(fdpass_add_valgrind_test name program)
  cmake_parse_arguments(PARSE_ARGV 2 arg "MEMORY_ONLY" ""
    "ENVIRONMENT;WRAPPER")
  if(NOT FDPASS_WITH_VALGRIND)
    return()
  endif()
  if(TARGET ${program})
    set(program $<TARGET_FILE:${program}>)
  endif()
  set(memory_only)
  if(arg_MEMORY_ONLY)
    set(memory_only --memory-only)
  endif()
  add_test(NAME valgrind:${name}
    COMMAND ${arg_WRAPPER} sh ${PROJECT_SOURCE_DIR}/tests/run-valgrind.sh
            ${memory_only}
            ${program} ${arg_UNPARSED_ARGUMENTS})
  set_tests_properties(valgrind:${name} PROPERTIES LABELS valgrind
    TIMEOUT 300 ENVIRONMENT "${arg_ENVIRONMENT}")
endfunction()

# qemu-user (7.2) receives a control message into a buffer twice the size the
# program gave, copies what fits, and neither sets MSG_CTRUNC nor closes the
# descriptors it drops. A test that sends more descriptors than the receiver
# has room for cannot pass under it: emulated builds skip those, saying why.
if(CMAKE_CROSSCOMPILING_EMULATOR)
  set(FDPASS_EMULATOR_TRUNCATION
    "qemu-user drops surplus descriptors without MSG_CTRUNC and leaks them")
endif()
