// header_compat.cpp -- header_compat.c compiled as C++ (string literals are
// `const char[]` there, so a `char *` input parameter is an error, not a
// warning), with <ogauthzn.h> included before <ivadminapi.h>.
#define HEADER_COMPAT_OGAUTHZN_FIRST 1
#include "header_compat.c"
