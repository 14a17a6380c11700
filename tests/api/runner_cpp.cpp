// The test runner built as C++: the header works from C++ too.
#include "runner.c"
