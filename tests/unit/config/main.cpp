#define BOOST_TEST_MODULE nmo_config
#include <boost/test/unit_test.hpp>
