# Each third-party package wrapped once as a namespaced INTERFACE target.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL 3 REQUIRED)

find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(nmo_rapidjson INTERFACE)
add_library(nmo::rapidjson ALIAS nmo_rapidjson)
target_include_directories(nmo_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# std::string support and SSE-free parsing (portable); iterative parsing is chosen per call.
target_compile_definitions(nmo_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

add_library(nmo_asio INTERFACE)
add_library(nmo::asio ALIAS nmo_asio)
target_link_libraries(nmo_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(nmo_asio INTERFACE BOOST_ASIO_NO_DEPRECATED)

add_library(nmo_openssl INTERFACE)
add_library(nmo::openssl ALIAS nmo_openssl)
target_link_libraries(nmo_openssl INTERFACE OpenSSL::SSL OpenSSL::Crypto)

# Feedback stores: SQLite (libsqlite3-dev) embedded, PostgreSQL client (libpq-dev) for shared stores.
find_package(PkgConfig REQUIRED)
pkg_check_modules(NMO_SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(NMO_LIBPQ REQUIRED IMPORTED_TARGET libpq)
add_library(nmo_stores INTERFACE)
add_library(nmo::stores ALIAS nmo_stores)
target_link_libraries(nmo_stores INTERFACE PkgConfig::NMO_SQLITE3 PkgConfig::NMO_LIBPQ)

if(NMO_TRANSPORT STREQUAL "cpprest")
  find_package(cpprestsdk REQUIRED)
  add_library(nmo_cpprest INTERFACE)
  add_library(nmo::cpprest ALIAS nmo_cpprest)
  target_link_libraries(nmo_cpprest INTERFACE cpprestsdk::cpprest)
elseif(NOT NMO_TRANSPORT STREQUAL "beast")
  message(FATAL_ERROR "NMO_TRANSPORT must be beast or cpprest, not '${NMO_TRANSPORT}'")
endif()

if(NMO_BUILD_TESTS)
  find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
endif()

# The executable's allocator (issue 14). glibc's malloc and free took about 18 % of a request's CPU time (perf,
# cpu-clock) and consolidated its fastbins under load; linked first, mimalloc replaces malloc/free/new/delete for
# the whole process. Sanitizer and fuzzer builds keep the system allocator: the sanitizers bring their own.
add_library(nmo_malloc INTERFACE)
add_library(nmo::malloc ALIAS nmo_malloc)
if(NOT NMO_MALLOC MATCHES "^(mimalloc|system)$")
  message(FATAL_ERROR "NMO_MALLOC must be mimalloc or system, not '${NMO_MALLOC}'")
endif()
set(NMO_MALLOC_IN_USE system)
if(NMO_MALLOC STREQUAL "mimalloc" AND NOT NMO_SANITIZE AND NOT NMO_BUILD_FUZZERS)
  find_package(mimalloc 2 CONFIG)
  if(NOT mimalloc_FOUND)
    message(FATAL_ERROR "NMO_MALLOC=mimalloc needs libmimalloc-dev (scripts/install-deps.sh), or -DNMO_MALLOC=system")
  endif()
  target_link_libraries(nmo_malloc INTERFACE mimalloc)
  set(NMO_MALLOC_IN_USE mimalloc)
endif()
message(STATUS "nmo-cds allocator: ${NMO_MALLOC_IN_USE}")
