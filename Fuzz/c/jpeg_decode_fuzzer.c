/*
 * libFuzzer harness: pt_jpeg_decode (Sources/CImageCodecs/jpeg_codec.c) on any bytes, header only and in
 * full, with a 4-megapixel limit. Checks the shim's contract (CImageCodecs.h) besides what ASan, UBSan and
 * LeakSanitizer see: a status from the enum, a NUL-terminated message, pixels exactly when PT_OK, and the
 * header read alone agreeing with the full decode.
 */
#include "CImageCodecs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIXELS (4u << 20)

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
    int header_status = pt_jpeg_decode(data, size, MAX_PIXELS, 1, &header, NULL, message, sizeof message);
    if (header_status < PT_OK || header_status > PT_ERR_NO_MEMORY) fail("header: status out of range");
    if (header_status != PT_OK) check_message(message, sizeof message);

    uint8_t *pixels = (uint8_t *)&info; /* must come back NULL on failure */
    memset(message, 'x', sizeof message);
    int status = pt_jpeg_decode(data, size, MAX_PIXELS, 0, &info, &pixels, message, sizeof message);
    if (status < PT_OK || status > PT_ERR_NO_MEMORY) fail("status out of range");
    if (status != PT_OK) {
        check_message(message, sizeof message);
        if (pixels != NULL) fail("pixels set on failure");
        return 0;
    }
    if (header_status != PT_OK) fail("the full decode succeeded where the header failed");
    if (!pixels) fail("no pixels on PT_OK");
    if (info.width != header.width || info.height != header.height || info.channels != header.channels ||
        info.source_color != header.source_color)
        fail("header and full decode disagree");
    if (info.channels != 1 && info.channels != 3) fail("channels is not 1 or 3");
    uint64_t count = (uint64_t)info.width * info.height;
    if (count == 0 || count > MAX_PIXELS) fail("pixel count out of range");

    size_t bytes = (size_t)count * info.channels;
    volatile unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++) sum += pixels[i];
    pt_free(pixels);
    return 0;
}
