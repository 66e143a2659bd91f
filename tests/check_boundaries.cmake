# Module boundaries (DESIGN.md), checked on the includes of every source file.
# 1. fhir/, cards/ and config/ include no Asio, Beast, OpenSSL, cpprestsdk, logging library, nor service/.
# 2. Inside service/, each room includes only the rooms below it:
#      ops      nothing of ours
#      auth     ops, fhir, config            (no routes: nothing of http/ or the hook call)
#      fetch    ops, fhir, config            (nothing of auth, http/ or the hook call)
#      feedback ops, fhir, config, cards     (nothing of HTTP)
#      service/ (hook call, services, runtime, cli) everything but http/, except cli.cpp and main.cpp
#      http     everything but cli
# 3. No header of service/ includes Boost.Asio/Beast, OpenSSL or cpprestsdk: they stay inside the .cpp files.
set(violations "")

function(check_files files regex why)
  foreach(f ${files})
    file(STRINGS ${f} lines REGEX "${regex}")
    foreach(line ${lines})
      string(APPEND violations "${f}: ${line}  (${why})\n")
    endforeach()
  endforeach()
  set(violations "${violations}" PARENT_SCOPE)
endfunction()

function(sources_of out)
  set(all "")
  foreach(dir ${ARGN})
    file(GLOB found ${ROOT}/${dir}/*.hpp ${ROOT}/${dir}/*.cpp ${ROOT}/${dir}/*.h)
    list(APPEND all ${found})
  endforeach()
  set(${out} "${all}" PARENT_SCOPE)
endfunction()

set(inc "#[ \t]*include[ \t]*[<\"]")
set(io "${inc}(boost/asio|boost/beast|boost/log|openssl/|cpprest/|pplx/|spdlog/|glog/|syslog\\.h|service/)")

foreach(dir fhir cards config)
  file(GLOB_RECURSE files ${ROOT}/${dir}/*.hpp ${ROOT}/${dir}/*.cpp ${ROOT}/${dir}/*.h)
  check_files("${files}" "${io}" "${dir}/ stays free of transport, TLS, logging and service/")
endforeach()

sources_of(ops service/ops)
check_files("${ops}" "${inc}((fhir|cards|config)/|service/(auth|fetch|feedback|http)/|service/[a-z_]+\\.hpp)"
  "ops is at the bottom: it depends on nothing of ours")

sources_of(auth service/auth)
check_files("${auth}" "${inc}(cards/|service/(fetch|feedback|http)/|service/[a-z_]+\\.hpp)" "auth knows nothing of routes")

sources_of(fetch service/fetch)
check_files("${fetch}" "${inc}(cards/|service/(auth|feedback|http)/|service/[a-z_]+\\.hpp)"
  "fetch knows nothing of auth, routes or the hook call")

sources_of(feedback service/feedback)
check_files("${feedback}" "${inc}(service/(auth|fetch|http)/|service/[a-z_]+\\.hpp)" "feedback knows nothing of HTTP")

file(GLOB root ${ROOT}/service/*.hpp ${ROOT}/service/*.cpp)
list(FILTER root EXCLUDE REGEX "/service/(cli|main)\\.(hpp|cpp)$")
check_files("${root}" "${inc}service/http/" "the hook call is below the HTTP edge")

sources_of(http service/http)
check_files("${http}" "${inc}service/cli\\.hpp" "the command line is on top")

file(GLOB_RECURSE headers ${ROOT}/service/*.hpp)
check_files("${headers}" "${inc}(boost/asio|boost/beast|openssl/|cpprest/|pplx/)"
  "service headers keep Asio, Beast, OpenSSL and cpprestsdk out of their includers")

if(violations)
  message(FATAL_ERROR "module boundary violated (DESIGN.md, tests/check_boundaries.cmake):\n${violations}")
endif()
message(STATUS "module boundaries: clean")
