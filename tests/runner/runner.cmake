# Included by tests/CMakeLists.txt in cross builds, whose suites compile
# against this runner, the part of Criterion's API they use: Criterion hangs
# under qemu-user, and Debian cannot install it for a second architecture
# (i386) beside the native one.
target_sources(fdpass_test_helpers PRIVATE ${CMAKE_CURRENT_LIST_DIR}/runner.c)
target_include_directories(fdpass_test_helpers
  PUBLIC ${CMAKE_CURRENT_LIST_DIR})

# The runner's own test: one that passed every test would pass the suites.
add_executable(runner_selftest ${CMAKE_CURRENT_LIST_DIR}/selftest.c)
target_link_libraries(runner_selftest PRIVATE fdpass_test_helpers)
add_test(NAME runner
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/check-selftest.sh
          ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:runner_selftest>)
set_tests_properties(runner PROPERTIES LABELS runner)

# Arguments for every suite: what the emulator cannot run faithfully
# (cmake/FdpassTesting.cmake), skipped with the reason.
set(_runner_args)
if(FDPASS_EMULATOR_TRUNCATION)
  set(_test single/many_descriptors_are_etrunc_and_all_closed)
  list(APPEND _runner_args --skip "${_test}=${FDPASS_EMULATOR_TRUNCATION}")
endif()
