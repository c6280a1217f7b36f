#ifndef PLANKTERM_COPENBLAS_H
#define PLANKTERM_COPENBLAS_H
#include <cblas.h>
/* OpenBLAS extensions: thread control and build description. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
/* LAPACK (OpenBLAS carries it): eigen-decomposition of a symmetric matrix, divide and conquer. The
   trailing lengths are the hidden Fortran lengths of the two character arguments. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             unsigned long jobz_len, unsigned long uplo_len);
#endif
