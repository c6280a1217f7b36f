#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define PK_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define PK_CLONES
#endif

enum { PK_BLOCK = 64, PK_STACK = 1024 };

PK_CLONES void pk_add(float *restrict dst, const float *restrict src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

PK_CLONES void pk_add_relu(float *restrict out, const float *restrict shortcut, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = out[i] + shortcut[i];
        out[i] = v > 0 ? v : 0;
    }
}

PK_CLONES void pk_relu_mask(float *restrict g, const float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) g[i] = y[i] > 0 ? g[i] : 0;
}

PK_CLONES void pk_scale_copy(float *restrict dst, const float *restrict src, float scale, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i] * scale;
}

// Float accumulators for up to PK_STACK values on the stack, else on the heap.
static float *pk_acc(float *stack, size_t n) { return n <= PK_STACK ? stack : malloc(n * sizeof(float)); }
static void pk_acc_free(float *stack, float *acc) { if (acc != stack) free(acc); }

PK_CLONES void pk_column_sums(const float *restrict x, size_t rows, size_t c, const float *restrict mean,
                              double *restrict out) {
    float stack[PK_STACK];
    float *restrict acc = pk_acc(stack, c);
    for (size_t j = 0; j < c; j++) out[j] = 0;
    for (size_t start = 0; start < rows; start += PK_BLOCK) {
        size_t end = start + PK_BLOCK < rows ? start + PK_BLOCK : rows;
        memset(acc, 0, c * sizeof(float));
        for (size_t r = start; r < end; r++) {
            const float *restrict row = x + r * c;
            if (mean) {
                for (size_t j = 0; j < c; j++) {
                    float d = row[j] - mean[j];
                    acc[j] += d * d;
                }
            } else {
                for (size_t j = 0; j < c; j++) acc[j] += row[j];
            }
        }
        for (size_t j = 0; j < c; j++) out[j] += acc[j];
    }
    pk_acc_free(stack, acc);
}

PK_CLONES void pk_affine(const float *restrict x, size_t rows, size_t c, const float *restrict scale,
                         const float *restrict shift, float upper, float *restrict y) {
    for (size_t r = 0; r < rows; r++) {
        const float *restrict xi = x + r * c;
        float *restrict yi = y + r * c;
        if (upper > 0) {
            for (size_t j = 0; j < c; j++) {
                float v = xi[j] * scale[j] + shift[j];
                v = v > 0 ? v : 0;
                yi[j] = v < upper ? v : upper;
            }
        } else {
            for (size_t j = 0; j < c; j++) yi[j] = xi[j] * scale[j] + shift[j];
        }
    }
}

PK_CLONES void pk_norm_gradient_sums(const float *restrict x, const float *restrict dy, const float *restrict y,
                                     float upper, size_t rows, size_t c, const float *restrict mean,
                                     const float *restrict inv_std, double *restrict out) {
    float stack[PK_STACK];
    float *restrict acc = pk_acc(stack, 2 * c);
    for (size_t j = 0; j < 2 * c; j++) out[j] = 0;
    for (size_t start = 0; start < rows; start += PK_BLOCK) {
        size_t end = start + PK_BLOCK < rows ? start + PK_BLOCK : rows;
        memset(acc, 0, 2 * c * sizeof(float));
        for (size_t r = start; r < end; r++) {
            const float *restrict xi = x + r * c, *restrict gi = dy + r * c;
            if (y) {
                const float *restrict yi = y + r * c;
                for (size_t j = 0; j < c; j++) {
                    float g = yi[j] > 0 && yi[j] < upper ? gi[j] : 0;
                    acc[j] += g;
                    acc[c + j] += g * ((xi[j] - mean[j]) * inv_std[j]);
                }
            } else {
                for (size_t j = 0; j < c; j++) {
                    float g = gi[j];
                    acc[j] += g;
                    acc[c + j] += g * ((xi[j] - mean[j]) * inv_std[j]);
                }
            }
        }
        for (size_t j = 0; j < 2 * c; j++) out[j] += acc[j];
    }
    pk_acc_free(stack, acc);
}

PK_CLONES void pk_norm_backward(const float *restrict x, const float *restrict dy, const float *restrict y,
                                float upper, size_t rows, size_t c, const float *restrict a, const float *restrict b,
                                const float *restrict k, float *restrict dx) {
    for (size_t r = 0; r < rows; r++) {
        const float *restrict xi = x + r * c, *restrict gi = dy + r * c;
        float *restrict di = dx + r * c;
        if (y) {
            const float *restrict yi = y + r * c;
            for (size_t j = 0; j < c; j++) di[j] = a[j] * (yi[j] > 0 && yi[j] < upper ? gi[j] : 0) + b[j] * xi[j] + k[j];
        } else {
            for (size_t j = 0; j < c; j++) di[j] = a[j] * gi[j] + b[j] * xi[j] + k[j];
        }
    }
}

PK_CLONES void pk_clip_mask(float *restrict g, const float *restrict y, float upper, size_t n) {
    for (size_t i = 0; i < n; i++) g[i] = y[i] > 0 && y[i] < upper ? g[i] : 0;
}

// The input rows a kernel row `ky` of output row `oy` reads, and whether it lies inside the image.
static inline long pk_tap(long o, long stride, long pad, long k) { return o * stride - pad + k; }

PK_CLONES void pk_depthwise_forward(const float *restrict x, size_t images, size_t h, size_t w, size_t c,
                                    const float *restrict weight, size_t k, size_t stride, size_t pad,
                                    size_t ho, size_t wo, float *restrict y) {
    for (size_t n = 0; n < images; n++) {
        const float *restrict image = x + n * h * w * c;
        for (size_t oy = 0; oy < ho; oy++) {
            for (size_t ox = 0; ox < wo; ox++) {
                float *restrict out = y + ((n * ho + oy) * wo + ox) * c;
                for (size_t j = 0; j < c; j++) out[j] = 0;
                for (size_t ky = 0; ky < k; ky++) {
                    long iy = pk_tap((long)oy, (long)stride, (long)pad, (long)ky);
                    if (iy < 0 || iy >= (long)h) continue;
                    for (size_t kx = 0; kx < k; kx++) {
                        long ix = pk_tap((long)ox, (long)stride, (long)pad, (long)kx);
                        if (ix < 0 || ix >= (long)w) continue;
                        const float *restrict in = image + ((size_t)iy * w + (size_t)ix) * c;
                        const float *restrict wt = weight + (ky * k + kx) * c;
                        for (size_t j = 0; j < c; j++) out[j] += in[j] * wt[j];
                    }
                }
            }
        }
    }
}

PK_CLONES void pk_depthwise_backward(const float *restrict x, const float *restrict dy, size_t images, size_t h,
                                     size_t w, size_t c, const float *restrict weight, size_t k, size_t stride,
                                     size_t pad, size_t ho, size_t wo, float *restrict dweight,
                                     float *restrict dx) {
    if (dx) memset(dx, 0, images * h * w * c * sizeof(float));
    for (size_t n = 0; n < images; n++) {
        const float *restrict image = x + n * h * w * c;
        float *restrict gimage = dx ? dx + n * h * w * c : NULL;
        for (size_t oy = 0; oy < ho; oy++) {
            for (size_t ox = 0; ox < wo; ox++) {
                const float *restrict g = dy + ((n * ho + oy) * wo + ox) * c;
                for (size_t ky = 0; ky < k; ky++) {
                    long iy = pk_tap((long)oy, (long)stride, (long)pad, (long)ky);
                    if (iy < 0 || iy >= (long)h) continue;
                    for (size_t kx = 0; kx < k; kx++) {
                        long ix = pk_tap((long)ox, (long)stride, (long)pad, (long)kx);
                        if (ix < 0 || ix >= (long)w) continue;
                        size_t at = ((size_t)iy * w + (size_t)ix) * c;
                        const float *restrict in = image + at;
                        float *restrict gw = dweight + (ky * k + kx) * c;
                        for (size_t j = 0; j < c; j++) gw[j] += in[j] * g[j];
                        if (gimage) {
                            const float *restrict wt = weight + (ky * k + kx) * c;
                            float *restrict gi = gimage + at;
                            for (size_t j = 0; j < c; j++) gi[j] += wt[j] * g[j];
                        }
                    }
                }
            }
        }
    }
}
