# Run by the node.fuzz.* CTest tests (node/CMakeLists.txt), in script mode:
#   cmake -DMODE=build -DSRC=<node/fuzz> -DOUT=<build>/fuzz -P smoke.cmake
#   cmake -DMODE=run -DSRC=<node/fuzz> -DOUT=<build>/fuzz -DTARGET=<name> -DRUNS=<n> -P smoke.cmake
# build: configures and builds node/fuzz with clang++-14 (libFuzzer needs
# clang; the main build is g++). run: runs one target over a scratch corpus
# plus the checked-in seeds; fails on any crash, leak, UB, timeout or
# invariant failure (libFuzzer exits non-zero and the log shows the input).
cmake_minimum_required(VERSION 3.20)

if(MODE STREQUAL "build")
  find_program(CLANGXX NAMES clang++-14)
  if(NOT CLANGXX)
    message(FATAL_ERROR "clang++-14 is missing, so the libFuzzer targets cannot be built. "
                        "Install it with ci/install-deps.sh (Debian packages clang-14 and libclang-rt-14-dev).")
  endif()
  set(args -S "${SRC}" -B "${OUT}" -DCMAKE_CXX_COMPILER=${CLANGXX})
  find_program(CCACHE ccache)
  if(CCACHE)
    list(APPEND args -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE})
  endif()
  find_program(NINJA ninja)
  if(NINJA AND NOT EXISTS "${OUT}/CMakeCache.txt")
    list(APPEND args -G Ninja)
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} ${args} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configuring node/fuzz with ${CLANGXX} failed (${rc})")
  endif()
  # -j2: the machines this runs on have two cores.
  execute_process(COMMAND ${CMAKE_COMMAND} --build "${OUT}" -j2 RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "building the node fuzz targets failed (${rc}); is libclang-rt-14-dev installed?")
  endif()
elseif(MODE STREQUAL "run")
  set(exe "${OUT}/${TARGET}")
  if(NOT EXISTS "${exe}")
    message(FATAL_ERROR "${exe} was not built (see the node.fuzz.Build test)")
  endif()
  # New inputs go to the first corpus directory: a scratch one, so the
  # source tree is never written. Artifacts (crashing inputs) go to OUT.
  set(scratch "${OUT}/corpus-${TARGET}")
  file(REMOVE_RECURSE "${scratch}")
  file(MAKE_DIRECTORY "${scratch}" "${OUT}/artifacts")
  execute_process(
    COMMAND "${exe}" -runs=${RUNS} -seed=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048
            "-dict=${SRC}/protocol.dict" "-artifact_prefix=${OUT}/artifacts/${TARGET}-"
            -print_final_stats=1 "${scratch}" "${SRC}/corpus/${TARGET}"
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TARGET} failed (exit ${rc}); the crashing input is in ${OUT}/artifacts/. "
                        "Reproduce: ${exe} <that file>")
  endif()
else()
  message(FATAL_ERROR "smoke.cmake: MODE must be build or run, got '${MODE}'")
endif()
