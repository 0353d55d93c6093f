# maiev_library(NAME SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# One static library per domain folder, target maiev_NAME, include root = src/.
function(maiev_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(maiev_${name} STATIC ${ARG_SOURCES})
    target_include_directories(maiev_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(maiev_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  else()
    add_library(maiev_${name} INTERFACE)
    target_include_directories(maiev_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(maiev_${name} INTERFACE ${ARG_PUBLIC_DEPS})
  endif()
endfunction()

# maiev_test(NAME LABEL unit|integration|e2e SOURCES ... DEPS ... [FIXTURES ...])
# A GoogleTest executable NAME; each TEST becomes a CTest test carrying LABEL. Integration and
# e2e tests name the CTest fixtures they need (e.g. `stack`), so the real components are started
# once per run by the fixture's setup test.
function(maiev_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS;FIXTURES" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "maiev_test(${name}): LABEL is required")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    MAIEV_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MAIEV_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/../shared/fixtures"
    MAIEV_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(props LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT})
  if(ARG_FIXTURES)
    list(APPEND props FIXTURES_REQUIRED "${ARG_FIXTURES}" RESOURCE_LOCK stack)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST TEST_PREFIX "${name}." PROPERTIES ${props})
endfunction()
