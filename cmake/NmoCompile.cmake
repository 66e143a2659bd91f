# Compile settings shared by every target of the project.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

add_library(nmo_warnings INTERFACE)
add_library(nmo::warnings ALIAS nmo_warnings)
target_compile_options(nmo_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror=return-type)
# Boost 1.74 headers trip a few of GCC 12's newer warnings; they are not ours.
target_compile_definitions(nmo_warnings INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BIND_GLOBAL_PLACEHOLDERS)

if(NMO_SANITIZE)
  add_compile_options(-fsanitize=${NMO_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${NMO_SANITIZE})
endif()
