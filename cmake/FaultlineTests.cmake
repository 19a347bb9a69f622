# faultline_add_tests(<folder-name> LIBS <libs...>)
#
# Every tests/*_test.cpp in the calling folder becomes one GoogleTest binary
# labelled `unit`; every tests/*_itest.cpp one labelled `integration` (real
# processes, namespaces, root); every tests/*_vmtest.cpp one labelled `vm`.
# One binary per file keeps rebuilds small and lets `ctest -L unit` be quick.
function(faultline_add_tests folder)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  foreach(kind unit integration vm)
    if(kind STREQUAL "unit")
      set(pattern "*_test.cpp")
      set(timeout 120)
    elseif(kind STREQUAL "integration")
      set(pattern "*_itest.cpp")
      set(timeout 600)
    else()
      set(pattern "*_vmtest.cpp")
      set(timeout 900)
    endif()
    file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/tests/${pattern}")
    foreach(src ${sources})
      get_filename_component(name "${src}" NAME_WE)
      set(target "${folder}_${name}")
      add_executable(${target} "${src}")
      # test-support/ holds helpers shared by every folder's tests.
      target_include_directories(${target} PRIVATE "${CMAKE_SOURCE_DIR}/test-support")
      target_link_libraries(${target} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock Threads::Threads)
      # Tests find the source and build trees at run time
      # (faultline/testing/paths.h): no checkout's path is compiled in, so
      # ccache shares every object between checkouts.
      gtest_discover_tests(${target}
        TEST_PREFIX "${folder}."
        PROPERTIES LABELS "${kind}" TIMEOUT ${timeout}
        DISCOVERY_TIMEOUT 60)
    endforeach()
  endforeach()
endfunction()
