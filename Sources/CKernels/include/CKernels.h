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
// y[r][j] = x[r][j]·scale[j] + shift[j], then, when upper > 0, clamped to [0, upper] (INFINITY: ReLU,
// 6: ReLU6)
void pk_affine(const float *restrict x, size_t rows, size_t c, const float *restrict scale,
               const float *restrict shift, float upper, float *restrict y);
// With g = dy masked by 0 < y < upper (y may be NULL: no mask): out[j] = Σ g, out[c + j] = Σ g·(x − mean)·inv_std
void pk_norm_gradient_sums(const float *restrict x, const float *restrict dy, const float *restrict y, float upper,
                           size_t rows, size_t c, const float *restrict mean, const float *restrict inv_std,
                           double *restrict out);
// dx = a·g + b·x + k per channel, g as above; dx must not overlap x, dy or y
void pk_norm_backward(const float *restrict x, const float *restrict dy, const float *restrict y, float upper,
                      size_t rows, size_t c, const float *restrict a, const float *restrict b,
                      const float *restrict k, float *restrict dx);
// g[i] = 0 < y[i] < upper ? g[i] : 0 (in place): the backward of a ReLU (upper INFINITY) or ReLU6 (6)
void pk_clip_mask(float *restrict g, const float *restrict y, float upper, size_t n);

// Depthwise k×k convolution, NHWC: y[n][oy][ox][j] = Σ_{ky,kx} x[n][oy·s − pad + ky][ox·s − pad + kx][j] ·
// weight[ky][kx][j], taps outside the image reading zero (pad is the top/left padding; ho, wo the output
// size, which fixes the bottom/right padding). Vectorised over the channels.
void pk_depthwise_forward(const float *restrict x, size_t images, size_t h, size_t w, size_t c,
                          const float *restrict weight, size_t k, size_t stride, size_t pad, size_t ho, size_t wo,
                          float *restrict y);
// Its backward: dweight += Σ x·dy (accumulated), and, when dx is not NULL, dx = the input gradient
// (overwritten).
void pk_depthwise_backward(const float *restrict x, const float *restrict dy, size_t images, size_t h, size_t w,
                           size_t c, const float *restrict weight, size_t k, size_t stride, size_t pad, size_t ho,
                           size_t wo, float *restrict dweight, float *restrict dx);
#endif
