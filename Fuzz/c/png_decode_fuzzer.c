/*
 * libFuzzer harness: pt_png_decode (Sources/CImageCodecs/png_codec.c) on any bytes, header only and in
 * full, with a 4-megapixel limit. Checks the shim's contract (CImageCodecs.h) besides what ASan, UBSan and
 * LeakSanitizer see: a status from the enum, a NUL-terminated message, pixels exactly when PT_OK, the
 * header read alone agreeing with the full decode, and, for small images, a lossless round trip through
 * pt_png_encode.
 */
#include "CImageCodecs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIXELS (4u << 20)
#define ROUND_TRIP_PIXELS (64u << 10)

static void fail(const char *what) {
    fprintf(stderr, "contract broken: %s\n", what);
    abort();
}

static void check_message(const char *message, size_t size) {
    if (memchr(message, 0, size) == NULL) fail("message is not NUL-terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pt_image_info header, info;
    char message[256];
    memset(message, 'x', sizeof message);
    int header_status = pt_png_decode(data, size, MAX_PIXELS, 1, &header, NULL, message, sizeof message);
    if (header_status < PT_OK || header_status > PT_ERR_NO_MEMORY) fail("header: status out of range");
    if (header_status != PT_OK) check_message(message, sizeof message);

    uint8_t *pixels = (uint8_t *)&info; /* must come back NULL on failure */
    memset(message, 'x', sizeof message);
    int status = pt_png_decode(data, size, MAX_PIXELS, 0, &info, &pixels, message, sizeof message);
    if (status < PT_OK || status > PT_ERR_NO_MEMORY) fail("status out of range");
    if (status != PT_OK) {
        check_message(message, sizeof message);
        if (pixels != NULL) fail("pixels set on failure");
        return 0;
    }
    if (header_status != PT_OK) fail("the full decode succeeded where the header failed");
    if (!pixels) fail("no pixels on PT_OK");
    if (info.width != header.width || info.height != header.height || info.channels != header.channels ||
        info.source_color != header.source_color || info.source_bit_depth != header.source_bit_depth)
        fail("header and full decode disagree");
    if (info.channels < 1 || info.channels > 4) fail("channels out of range");
    uint64_t count = (uint64_t)info.width * info.height;
    if (count == 0 || count > MAX_PIXELS) fail("pixel count out of range");

    /* Every byte the contract promises is readable (ASan checks the buffer's size). */
    size_t bytes = (size_t)count * info.channels;
    volatile unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++) sum += pixels[i];

    if (count <= ROUND_TRIP_PIXELS) {
        uint8_t *png = NULL;
        size_t png_size = 0;
        if (pt_png_encode(pixels, info.width, info.height, (int)info.channels, &png, &png_size, message,
                          sizeof message) != PT_OK)
            fail("decoded pixels do not encode");
        pt_image_info again;
        uint8_t *pixels2 = NULL;
        if (pt_png_decode(png, png_size, MAX_PIXELS, 0, &again, &pixels2, message, sizeof message) != PT_OK)
            fail("the re-encoded PNG does not decode");
        if (again.width != info.width || again.height != info.height || again.channels != info.channels ||
            memcmp(pixels, pixels2, bytes) != 0)
            fail("round trip through pt_png_encode changed the pixels");
        pt_free(pixels2);
        pt_free(png);
    }
    pt_free(pixels);
    return 0;
}
