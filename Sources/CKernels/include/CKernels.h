// Elementwise and per-channel loops of the encoder (NHWC rows of `c` channels), in C so that the
// compiler vectorises them: `restrict` tells it the buffers do not overlap, which Swift cannot, and on
// x86-64 Linux each function also has an AVX2+FMA clone picked at load time.
#ifndef PLANKTERM_CKERNELS_H
#define PLANKTERM_CKERNELS_H
#include <stddef.h>

// dst[i] += src[i]
void pk_add(float *restrict dst, const float *restrict src, size_t n);
// out[i] = max(out[i] + shortcut[i], 0)
void pk_add_relu(float *restrict out, const float *restrict shortcut, size_t n);
// g[i] = y[i] > 0 ? g[i] : 0 (in place)
void pk_relu_mask(float *restrict g, const float *restrict y, size_t n);
// dst[i] = src[i] * scale
void pk_scale_copy(float *restrict dst, const float *restrict src, float scale, size_t n);

// out[j] = Σ_r x[r][j], or with `mean` Σ_r (x[r][j] − mean[j])²: float partial sums over blocks of 64
// rows folded into double
void pk_column_sums(const float *restrict x, size_t rows, size_t c, const float *restrict mean,
                    double *restrict out);
// y[r][j] = x[r][j]·scale[j] + shift[j], then max(·, 0) when relu != 0
void pk_affine(const float *restrict x, size_t rows, size_t c, const float *restrict scale,
               const float *restrict shift, int relu, float *restrict y);
// With g = dy masked by y > 0 (y may be NULL: no mask): out[j] = Σ g, out[c + j] = Σ g·(x − mean)·inv_std
void pk_norm_gradient_sums(const float *restrict x, const float *restrict dy, const float *restrict y, size_t rows,
                           size_t c, const float *restrict mean, const float *restrict inv_std,
                           double *restrict out);
// dx = a·g + b·x + k per channel, g as above; dx must not overlap x, dy or y
void pk_norm_backward(const float *restrict x, const float *restrict dy, const float *restrict y, size_t rows,
                      size_t c, const float *restrict a, const float *restrict b, const float *restrict k,
                      float *restrict dx);
#endif
