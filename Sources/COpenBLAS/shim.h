#ifndef PLANKTERM_COPENBLAS_H
#define PLANKTERM_COPENBLAS_H
#include <cblas.h>
/* OpenBLAS extensions: thread control and build description. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif
