#ifndef PLANKTERM_CLIBJPEG_H
#define PLANKTERM_CLIBJPEG_H
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#endif
