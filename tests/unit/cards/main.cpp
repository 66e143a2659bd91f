#define BOOST_TEST_MODULE nmo_cards
#include <boost/test/unit_test.hpp>
