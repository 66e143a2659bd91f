# Compile settings shared by every target of the project.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

add_library(nmo_warnings INTERFACE)
add_library(nmo::warnings ALIAS nmo_warnings)
target_compile_options(nmo_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror=return-type)
# Asio without its deprecated names; Boost.Bind placeholders global (else Boost 1.74 prints a deprecation note).
target_compile_definitions(nmo_warnings INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BIND_GLOBAL_PLACEHOLDERS)

if(NMO_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "NMO_BUILD_FUZZERS needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(NMO_SANITIZE)
  add_compile_options(-fsanitize=${NMO_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${NMO_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND NMO_SANITIZE MATCHES "undefined")
    add_compile_options(-fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/cmake/ubsan-ignorelist.txt)
  endif()
endif()
