// The knowledge-base plugin's unit tests (one module; each file is a suite).
#define BOOST_TEST_MODULE knowledge_base
#include <boost/test/unit_test.hpp>
