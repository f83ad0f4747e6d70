// The core_tests binary: Boost.Test's runner; suites live in the *_test.cpp files beside this one.
#define BOOST_TEST_MODULE parley_core
#include <boost/test/unit_test.hpp>
