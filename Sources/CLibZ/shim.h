#ifndef PLANKTERM_CLIBZ_H
#define PLANKTERM_CLIBZ_H
#include <zlib.h>
#endif
