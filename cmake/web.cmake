# The web page of `maiev serve` (web/, docs/WEB.md), embedded in the binary: each file
# gzip-compressed into a byte array of a generated C++ source, MAIEV_WEB_ASSETS_SOURCE, that
# src/api compiles (the declarations are in src/api/web_assets.hpp).
#
# The page is plain ES modules; uPlot comes from npm. `npm ci` runs in the build tree
# (BUILD/web/node_modules), again only when web/package.json or web/package-lock.json changed.
# With -DMAIEV_WEB=OFF npm is never run and a placeholder page is embedded instead.
option(MAIEV_WEB "Embed the web page (runs npm ci at build time); OFF: a placeholder page" ON)

find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(MAIEV_WEB_DIR ${PROJECT_SOURCE_DIR}/web)
set(MAIEV_WEB_BUILD_DIR ${PROJECT_BINARY_DIR}/web)
set(MAIEV_WEB_ASSETS_SOURCE ${MAIEV_WEB_BUILD_DIR}/web_assets_data.cpp)
set(web_embed_script ${PROJECT_SOURCE_DIR}/cmake/web_embed.cmake)
file(MAKE_DIRECTORY ${MAIEV_WEB_BUILD_DIR})

if(MAIEV_WEB)
  find_program(NPM_EXECUTABLE npm REQUIRED)
  set(MAIEV_WEB_NODE_MODULES ${MAIEV_WEB_BUILD_DIR}/node_modules)
  set(npm_stamp ${MAIEV_WEB_BUILD_DIR}/npm-ci.stamp)
  # No browser is downloaded: playwright-core (the browser test's driver) uses the system's.
  add_custom_command(OUTPUT ${npm_stamp}
    COMMAND ${CMAKE_COMMAND} -E copy ${MAIEV_WEB_DIR}/package.json ${MAIEV_WEB_DIR}/package-lock.json
            ${MAIEV_WEB_BUILD_DIR}/
    COMMAND ${CMAKE_COMMAND} -E env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
            ${NPM_EXECUTABLE} ci --no-audit --no-fund --loglevel=error
    COMMAND ${CMAKE_COMMAND} -E touch ${npm_stamp}
    WORKING_DIRECTORY ${MAIEV_WEB_BUILD_DIR}
    DEPENDS ${MAIEV_WEB_DIR}/package.json ${MAIEV_WEB_DIR}/package-lock.json
    COMMENT "npm ci (web/package-lock.json)"
    VERBATIM)
  add_custom_target(maiev_web_npm DEPENDS ${npm_stamp})

  # uPlot's minified build turned into an ES module, and its style sheet.
  set(uplot_dist ${MAIEV_WEB_NODE_MODULES}/uplot/dist)
  add_custom_command(OUTPUT ${MAIEV_WEB_BUILD_DIR}/uplot.js ${MAIEV_WEB_BUILD_DIR}/uplot.css
    COMMAND ${CMAKE_COMMAND} -DMODE=module -DIN=${uplot_dist}/uPlot.iife.min.js
            -DOUT=${MAIEV_WEB_BUILD_DIR}/uplot.js -P ${web_embed_script}
    COMMAND ${CMAKE_COMMAND} -E copy ${uplot_dist}/uPlot.min.css ${MAIEV_WEB_BUILD_DIR}/uplot.css
    DEPENDS ${npm_stamp} ${web_embed_script}
    COMMENT "uPlot as an ES module"
    VERBATIM)

  file(GLOB web_sources CONFIGURE_DEPENDS ${MAIEV_WEB_DIR}/src/*.js ${MAIEV_WEB_DIR}/src/*.css
       ${MAIEV_WEB_DIR}/src/*.svg)
  set(web_files ${MAIEV_WEB_DIR}/index.html ${web_sources} ${MAIEV_WEB_BUILD_DIR}/uplot.js
                ${MAIEV_WEB_BUILD_DIR}/uplot.css)
else()
  set(web_files ${MAIEV_WEB_BUILD_DIR}/index.html)
  configure_file(${MAIEV_WEB_DIR}/placeholder.html ${MAIEV_WEB_BUILD_DIR}/index.html COPYONLY)
endif()

# The manifest: one file per line, embedded under its own name.
string(REPLACE ";" "\n" web_manifest "${web_files}")
file(WRITE ${MAIEV_WEB_BUILD_DIR}/assets.txt.in "${web_manifest}\n")
configure_file(${MAIEV_WEB_BUILD_DIR}/assets.txt.in ${MAIEV_WEB_BUILD_DIR}/assets.txt COPYONLY)

add_custom_command(OUTPUT ${MAIEV_WEB_ASSETS_SOURCE}
  COMMAND ${CMAKE_COMMAND} -DMODE=embed -DMANIFEST=${MAIEV_WEB_BUILD_DIR}/assets.txt
          -DOUT=${MAIEV_WEB_ASSETS_SOURCE} -DGZIP=${GZIP_EXECUTABLE} -P ${web_embed_script}
  DEPENDS ${web_files} ${MAIEV_WEB_BUILD_DIR}/assets.txt ${web_embed_script}
  COMMENT "Embedding the web page (${MAIEV_WEB_ASSETS_SOURCE})"
  VERBATIM)
# src/api compiles the source; its library depends on this target, as a custom command's output
# is only built for targets of the directory that declares it.
add_custom_target(maiev_web_assets DEPENDS ${MAIEV_WEB_ASSETS_SOURCE})

if(MAIEV_WEB)
  find_program(NODE_EXECUTABLE node REQUIRED)
  # The page's pure functions (web/src/format.js) under node's test runner.
  add_test(NAME web_format_test COMMAND ${NODE_EXECUTABLE} --test ${MAIEV_WEB_DIR}/test/format.test.mjs)
  set_tests_properties(web_format_test PROPERTIES LABELS unit TIMEOUT 60)
endif()

if(MAIEV_WEB AND MAIEV_STACK_TESTS)
  # The page in Debian's Chromium against the real `maiev serve` on the stack (docs/WEB.md);
  # the screenshots go to BUILD/artifacts/web.
  add_test(NAME web_browser_test COMMAND ${NODE_EXECUTABLE} ${MAIEV_WEB_DIR}/test/browser_test.mjs)
  set_tests_properties(web_browser_test PROPERTIES
    LABELS e2e TIMEOUT 240 FIXTURES_REQUIRED stack RESOURCE_LOCK stack
    ENVIRONMENT "MAIEV_EXE=$<TARGET_FILE:maiev>;MAIEV_LOADGEN=$<TARGET_FILE:maiev-loadgen>;MAIEV_ARTIFACTS=${PROJECT_BINARY_DIR}/artifacts/web;MAIEV_WEB_MODULES=${MAIEV_WEB_NODE_MODULES};PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
endif()
