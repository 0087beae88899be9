# SPDX-License-Identifier: MIT
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

# Arguments for every suite: the tests an emulator cannot run faithfully,
# skipped with the reason (README, Platforms). qemu-user loses truncation
# (cmake/FdpassTesting.cmake) and has no NETLINK_SOCK_DIAG, without which
# fdpass_listen cannot prove which file its socket is bound to: the tests
# that refuse it a private umask, so that it must change a mode, cannot
# pass there.
set(_runner_args)
if(CMAKE_CROSSCOMPILING_EMULATOR)
  set(_no_diag "qemu-user has no NETLINK_SOCK_DIAG: listen cannot prove its file")
  foreach(_skip
      single/many_descriptors_are_etrunc_and_all_closed=${FDPASS_EMULATOR_TRUNCATION}
      listen/without_a_private_umask_the_mode_is_exact_too=${_no_diag}
      listen/without_a_private_umask_a_renamed_socket_keeps_its_mode=${_no_diag}
      listen/a_symbolic_link_swapped_in_before_the_mode_changes=${_no_diag})
    list(APPEND _runner_args --skip "${_skip}")
  endforeach()
endif()
