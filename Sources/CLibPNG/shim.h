#ifndef PLANKTERM_CLIBPNG_H
#define PLANKTERM_CLIBPNG_H
#include <png.h>
#endif
