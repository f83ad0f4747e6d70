// The WhatsApp plugin's unit tests (one module; each file is a suite).
#define BOOST_TEST_MODULE whatsapp
#include <boost/test/unit_test.hpp>
