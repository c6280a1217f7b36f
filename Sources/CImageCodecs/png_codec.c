/* PNG decoding and encoding through libpng; see CImageCodecs.h for the contract. */
#include "CImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    char *message;
    size_t message_size;
} png_memory_reader;

static void set_message(char *message, size_t message_size, const char *text) {
    if (message && message_size > 0) {
        snprintf(message, message_size, "%s", text);
    }
}

static void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    png_memory_reader *reader = (png_memory_reader *)png_get_io_ptr(png);
    if (length > reader->size - reader->offset) {
        reader->truncated = 1;
        png_error(png, "the file ends before the image data does");
    }
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

static void png_error_to_message(png_structp png, png_const_charp text) {
    png_memory_reader *reader = (png_memory_reader *)png_get_error_ptr(png);
    if (reader && !reader->truncated) {
        set_message(reader->message, reader->message_size, text);
    }
    png_longjmp(png, 1);
}

static void png_ignore_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

int pt_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                  pt_image_info *info, uint8_t **pixels, char *message, size_t message_size) {
    if (pixels) *pixels = NULL;
    memset(info, 0, sizeof(*info));
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        set_message(message, message_size, "not a PNG signature");
        return PT_ERR_CORRUPT;
    }
    png_memory_reader reader = {data, size, 0, 0, message, message_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_error_to_message,
                                             png_ignore_warning);
    if (!png) {
        set_message(message, message_size, "out of memory");
        return PT_ERR_NO_MEMORY;
    }
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) {
        png_destroy_read_struct(&png, NULL, NULL);
        set_message(message, message_size, "out of memory");
        return PT_ERR_NO_MEMORY;
    }
    /* Everything that must survive a longjmp is volatile or lives outside the jump. */
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    volatile int status = PT_OK;

    if (setjmp(png_jmpbuf(png))) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &pinfo, NULL);
        if (reader.truncated) {
            set_message(message, message_size, "truncated: the file ends before the image data does");
            return PT_ERR_TRUNCATED;
        }
        return status == PT_OK ? PT_ERR_CORRUPT : status;
    }
    png_set_read_fn(png, &reader, png_read_from_memory);
    /* Our own limit is checked below; lift libpng's 1,000,000-row limit so that we decide. */
    png_set_user_limits(png, 0x7fffffffL, 0x7fffffffL);
    /*
     * Bounded memory for chunks we never use. libpng 1.6 allocates (and clears) a tEXt, zTXt, iTXt,
     * sPLT, pCAL, sCAL or eXIf chunk whole, as long as its length field says, before reading it; its
     * check of that length against the chunk limit is only a "benign error", a warning on read. So a
     * 41-byte file whose tEXt claims 0x7fffffff bytes cost 2 GB and seconds before failing. We decode
     * IHDR, PLTE, tRNS and IDAT only (no gamma, colour management, background or metadata), so every
     * other chunk, known or not, is skipped unread (libpng steps over it in small pieces, checking its
     * CRC; a critical chunk it does not know is still an error), and a length past the end of the file
     * reads as truncated at once. The two limits after it (what one compressed chunk may inflate to, how
     * many ancillary chunks are kept) only matter should a chunk ever be read again.
     */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_chunk_cache_max(png, 128);
    png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_DEFAULT);
    png_read_info(png, pinfo);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, pinfo, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    info->width = width;
    info->height = height;
    info->source_bit_depth = (uint32_t)bit_depth;
    info->interlaced = interlace != PNG_INTERLACE_NONE;
    int has_trns = png_get_valid(png, pinfo, PNG_INFO_tRNS) != 0;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: info->source_color = PT_SOURCE_GRAY; info->channels = has_trns ? 2 : 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: info->source_color = PT_SOURCE_GRAY_ALPHA; info->channels = 2; break;
    case PNG_COLOR_TYPE_RGB: info->source_color = PT_SOURCE_RGB; info->channels = has_trns ? 4 : 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: info->source_color = PT_SOURCE_RGBA; info->channels = 4; break;
    case PNG_COLOR_TYPE_PALETTE: info->source_color = PT_SOURCE_PALETTE; info->channels = has_trns ? 4 : 3; break;
    default:
        status = PT_ERR_UNSUPPORTED;
        set_message(message, message_size, "unknown PNG colour type");
        png_longjmp(png, 1);
    }
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        status = PT_ERR_TOO_LARGE;
        if (message && message_size > 0)
            snprintf(message, message_size, "%ux%u pixels is more than the limit of %llu", (unsigned)width,
                     (unsigned)height, (unsigned long long)max_pixels);
        png_longjmp(png, 1);
    }
    if (header_only || !pixels) {
        png_destroy_read_struct(&png, &pinfo, NULL);
        return PT_OK;
    }

    /* Normalise to 8-bit samples: expand palettes and low bit depths, tRNS to alpha, scale 16 → 8. */
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (has_trns) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_scale_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, pinfo);

    size_t rowbytes = png_get_rowbytes(png, pinfo);
    size_t channels = png_get_channels(png, pinfo);
    if (channels != info->channels || rowbytes != (size_t)width * channels) {
        status = PT_ERR_UNSUPPORTED;
        set_message(message, message_size, "unexpected PNG layout after conversion");
        png_longjmp(png, 1);
    }
    buffer = (uint8_t *)malloc(rowbytes * height ? rowbytes * height : 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!buffer || !rows) {
        status = PT_ERR_NO_MEMORY;
        set_message(message, message_size, "out of memory");
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = buffer + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    free(rows);
    png_destroy_read_struct(&png, &pinfo, NULL);
    *pixels = buffer;
    return PT_OK;
}

int pt_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  uint8_t **out, size_t *out_size, char *message, size_t message_size) {
    *out = NULL;
    *out_size = 0;
    if (channels < 1 || channels > 4) {
        set_message(message, message_size, "channels must be 1 to 4");
        return PT_ERR_UNSUPPORTED;
    }
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    static const png_uint_32 formats[4] = {PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB, PNG_FORMAT_RGBA};
    image.format = formats[channels - 1];
    png_alloc_size_t needed = 0;
    if (!png_image_write_to_memory(&image, NULL, &needed, 0, pixels, 0, NULL)) {
        set_message(message, message_size, image.message);
        png_image_free(&image);
        return PT_ERR_CORRUPT;
    }
    uint8_t *buffer = (uint8_t *)malloc(needed);
    if (!buffer) {
        set_message(message, message_size, "out of memory");
        return PT_ERR_NO_MEMORY;
    }
    if (!png_image_write_to_memory(&image, buffer, &needed, 0, pixels, 0, NULL)) {
        set_message(message, message_size, image.message);
        png_image_free(&image);
        free(buffer);
        return PT_ERR_CORRUPT;
    }
    *out = buffer;
    *out_size = needed;
    return PT_OK;
}

void pt_free(void *pointer) { free(pointer); }
