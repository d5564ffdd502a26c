# Warnings and sanitizers shared by every target (linked PRIVATE as ghost::project_options).
add_library(ghost_project_options INTERFACE)
add_library(ghost::project_options ALIAS ghost_project_options)
target_compile_options(ghost_project_options INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
target_compile_definitions(ghost_project_options INTERFACE
    BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_ARRAY BOOST_ASIO_DISABLE_BOOST_BIND)
if(GHOST_WARNINGS_AS_ERRORS)
    target_compile_options(ghost_project_options INTERFACE -Werror)
endif()
# The fuzz build: coverage and ASan everywhere; UBSan only where ghost_fuzz_ubsan() asks for it,
# because clang 14 cannot compile Asio coroutines under UBSan ("Cannot represent a difference
# across sections"). The parsers (lang, stages) have no coroutines.
if(GHOST_FUZZ)
    target_compile_options(ghost_project_options INTERFACE
        -fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
    target_link_options(ghost_project_options INTERFACE -fsanitize=address,undefined)
elseif(GHOST_SANITIZE)
    target_compile_options(ghost_project_options INTERFACE
        -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(ghost_project_options INTERFACE -fsanitize=address,undefined)
elseif(GHOST_TSAN)
    # -Wno-tsan: Boost.Asio's atomic_thread_fence, which TSan does not model, warns in every file.
    target_compile_options(ghost_project_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer
        -Wno-tsan)
    target_link_options(ghost_project_options INTERFACE -fsanitize=thread)
endif()

# ghost_add_library(name SOURCES ... LINKS ...): one static library per folder.
function(ghost_add_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LINKS" ${ARGN})
    add_library(ghost_${name} STATIC ${ARG_SOURCES})
    add_library(ghost::${name} ALIAS ghost_${name})
    target_include_directories(ghost_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(ghost_${name} PUBLIC ${ARG_LINKS} PRIVATE ghost::project_options)
endfunction()

# UBSan on one target of the fuzz build (see above); nothing otherwise.
function(ghost_fuzz_ubsan target)
    if(GHOST_FUZZ)
        target_compile_options(${target} PRIVATE -fsanitize=undefined -fno-sanitize-recover=undefined)
    endif()
endfunction()
