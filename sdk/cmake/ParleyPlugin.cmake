# parley_add_plugin(<id> SOURCES <files...> [TESTS <files...>] [LIBRARIES <libs...>] [MANIFEST <plugin.json>]
#                   [NO_INSTALL])
#
# Builds plugin <id> as <output>/<id>/<id>.so next to a copy of its plugin.json and migrations/, where
# <output> is PARLEY_PLUGIN_OUTPUT_DIR (default: <build>/plugins); point parleyd's plugins.path there.
# TESTS builds <id>_tests from the test files plus the plugin's sources (test them with parley/testing.hpp)
# and registers it with CTest; Boost.Test is linked when available. Used in-tree and by third parties
# through find_package(Parley).
function(parley_add_plugin id)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_INSTALL" "MANIFEST" "SOURCES;TESTS;LIBRARIES")
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "parley_add_plugin(${id}): SOURCES is required")
    endif()
    if(NOT ARG_MANIFEST)
        set(ARG_MANIFEST ${CMAKE_CURRENT_SOURCE_DIR}/plugin.json)
    endif()
    if(NOT EXISTS ${ARG_MANIFEST})
        message(FATAL_ERROR "parley_add_plugin(${id}): no manifest at ${ARG_MANIFEST}")
    endif()
    if(NOT DEFINED PARLEY_PLUGIN_OUTPUT_DIR)
        set(PARLEY_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
    endif()
    set(out ${PARLEY_PLUGIN_OUTPUT_DIR}/${id})

    add_library(${id} MODULE ${ARG_SOURCES})
    target_link_libraries(${id} PRIVATE Parley::sdk ${ARG_LIBRARIES})
    target_compile_features(${id} PRIVATE cxx_std_20)
    set_target_properties(${id} PROPERTIES
        PREFIX "" OUTPUT_NAME ${id} LIBRARY_OUTPUT_DIRECTORY ${out}
        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    configure_file(${ARG_MANIFEST} ${out}/plugin.json COPYONLY)
    # Migrations live beside the manifest: <plugin folder>/migrations/NNNN_verb_noun.sql.
    get_filename_component(plugin_dir ${ARG_MANIFEST} DIRECTORY)
    file(GLOB migrations CONFIGURE_DEPENDS ${plugin_dir}/migrations/*.sql)
    foreach(migration ${migrations})
        get_filename_component(name ${migration} NAME)
        configure_file(${migration} ${out}/migrations/${name} COPYONLY)
    endforeach()

    if(ARG_TESTS)
        add_executable(${id}_tests ${ARG_TESTS} ${ARG_SOURCES})
        target_link_libraries(${id}_tests PRIVATE Parley::sdk ${ARG_LIBRARIES})
        target_compile_features(${id}_tests PRIVATE cxx_std_20)
        if(NOT TARGET Boost::unit_test_framework)
            find_package(Boost QUIET COMPONENTS unit_test_framework)
        endif()
        if(TARGET Boost::unit_test_framework)
            target_link_libraries(${id}_tests PRIVATE Boost::unit_test_framework)
            target_compile_definitions(${id}_tests PRIVATE BOOST_TEST_DYN_LINK)
        endif()
        add_test(NAME plugin_${id} COMMAND ${id}_tests)
    endif()

    if(NOT ARG_NO_INSTALL)
        install(TARGETS ${id} LIBRARY DESTINATION lib/parley/plugins/${id})
        install(FILES ${ARG_MANIFEST} DESTINATION lib/parley/plugins/${id} RENAME plugin.json)
        if(migrations)
            install(FILES ${migrations} DESTINATION lib/parley/plugins/${id}/migrations)
        endif()
    endif()
endfunction()
