// The one doctest main every suite links (compiled once, in comptoir_test_support).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
