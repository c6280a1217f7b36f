#ifndef PLANKTERM_CIMAGECODECS_H
#define PLANKTERM_CIMAGECODECS_H
/*
 * plankterm's image codec shim: PNG through libpng, JPEG through libjpeg-turbo.
 *
 * Both libraries report errors with setjmp/longjmp. Every setjmp lives in a C frame of this file and
 * every longjmp lands in it, so no jump ever crosses a Swift frame. Swift sees plain status codes and a
 * message buffer.
 *
 * Decoded pixels are 8 bits per channel, rows packed top to bottom, channels interleaved:
 * 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA. 16-bit samples are scaled to 8 bits, palettes and
 * low bit depths expanded, interlacing undone, CMYK JPEGs converted to RGB.
 */
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PT_OK = 0,
    PT_ERR_TRUNCATED = 1,   /* the data ends before the image does */
    PT_ERR_CORRUPT = 2,     /* the codec rejected the data */
    PT_ERR_TOO_LARGE = 3,   /* the header claims more pixels than allowed */
    PT_ERR_UNSUPPORTED = 4, /* a valid file of a kind we do not decode */
    PT_ERR_NO_MEMORY = 5
} pt_status;

typedef enum {
    PT_SOURCE_GRAY = 0,
    PT_SOURCE_GRAY_ALPHA = 1,
    PT_SOURCE_RGB = 2,
    PT_SOURCE_RGBA = 3,
    PT_SOURCE_PALETTE = 4,
    PT_SOURCE_YCBCR = 5,
    PT_SOURCE_CMYK = 6,
    PT_SOURCE_YCCK = 7
} pt_source_color;

typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t channels;        /* of the decoded pixels: 1, 2, 3 or 4 */
    uint32_t source_bit_depth; /* bits per sample in the file */
    uint32_t source_color;    /* a pt_source_color */
    uint32_t interlaced;      /* PNG Adam7 or progressive JPEG */
} pt_image_info;

/*
 * Decodes a PNG held in memory. When header_only is non-zero only `info` is filled.
 * On PT_OK with pixels requested, *pixels is a malloc'ed buffer of width*height*channels bytes that the
 * caller frees with pt_free. On any error *pixels is NULL and `message` holds a short reason.
 */
int pt_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                  pt_image_info *info, uint8_t **pixels, char *message, size_t message_size);

/* Decodes a JPEG held in memory; same contract as pt_png_decode. */
int pt_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   pt_image_info *info, uint8_t **pixels, char *message, size_t message_size);

/*
 * Encodes 8-bit pixels as JPEG (components: 1 gray, 3 RGB, 4 CMYK written with an Adobe marker).
 * On PT_OK *out is a malloc'ed buffer of *out_size bytes, freed with pt_free.
 */
int pt_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int components, int quality,
                   int progressive, uint8_t **out, size_t *out_size, char *message, size_t message_size);

/*
 * Encodes 8-bit pixels as PNG (channels 1-4) with libpng's simplified writer.
 * On PT_OK *out is a malloc'ed buffer of *out_size bytes, freed with pt_free.
 */
int pt_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  uint8_t **out, size_t *out_size, char *message, size_t message_size);

void pt_free(void *pointer);

#endif
