# Helpers shared by tests/ and fuzz/.

# fdpass_missing(PACKAGE CONSEQUENCE): a Debian package that tests need is
# missing. The build goes on without what it gives, saying so; with
# FDPASS_REQUIRE_ALL_TESTS (CI) the configuration fails instead, so that
# nothing is left out unnoticed.
function(fdpass_missing package consequence)
  if(FDPASS_REQUIRE_ALL_TESTS)
    message(FATAL_ERROR "fdpass: ${package} is missing (apt-get install -y "
      "${package}), so ${consequence}; FDPASS_REQUIRE_ALL_TESTS forbids it")
  endif()
  message(STATUS "fdpass: ${package} is missing, so ${consequence}")
endfunction()

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

# fdpass_add_valgrind_test(NAME TARGET ARGS...): run TARGET with ARGS under
# memcheck as CTest test valgrind:NAME, failing on any error or leak.
function(fdpass_add_valgrind_test name target)
  if(FDPASS_WITH_VALGRIND)
    add_test(NAME valgrind:${name}
      COMMAND sh ${PROJECT_SOURCE_DIR}/tests/run-valgrind.sh
              $<TARGET_FILE:${target}> ${ARGN})
    set_tests_properties(valgrind:${name} PROPERTIES LABELS valgrind)
  endif()
endfunction()

# qemu-user (7.2) receives a control message into a buffer twice the size the
# program gave, copies what fits, and neither sets MSG_CTRUNC nor closes the
# descriptors it drops. A test that sends more descriptors than the receiver
# has room for cannot pass under it: emulated builds skip those, saying why.
if(CMAKE_CROSSCOMPILING_EMULATOR)
  set(FDPASS_EMULATOR_TRUNCATION
    "qemu-user drops surplus descriptors without MSG_CTRUNC and leaks them")
endif()
