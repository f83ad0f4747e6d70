// The integration_tests binary: each suite starts its own parleyd; PARLEY_TEST_DB picks the database.
#define BOOST_TEST_MODULE parley_integration
#include <boost/test/unit_test.hpp>
