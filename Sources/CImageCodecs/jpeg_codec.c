/* JPEG decoding and encoding through libjpeg-turbo; see CImageCodecs.h for the contract. */
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    int truncated;
} pt_jpeg_error;

static void set_message(char *message, size_t message_size, const char *text) {
    if (message && message_size > 0) {
        snprintf(message, message_size, "%s", text);
    }
}

static void jpeg_error_exit_jump(j_common_ptr cinfo) {
    pt_jpeg_error *error = (pt_jpeg_error *)cinfo->err;
    longjmp(error->jump, 1);
}

/*
 * libjpeg reports damaged data as warnings and goes on: it pads what is missing with grey and returns a
 * whole image. We refuse the warnings that mean the pixels are not all in the file:
 *   JWRN_JPEG_EOF       the file ends inside the image data;
 *   JWRN_HIT_MARKER     the entropy data stops at a marker (an EOI, an RST, anything) before the scan is
 *                       done: a cut file with an EOI put back, or a header claiming more rows than sent;
 * and, as corrupt, those that mean the data that is there decodes wrongly:
 *   JWRN_HUFF_BAD_CODE, JWRN_ARITH_BAD_CODE   the entropy data is not a valid code (noise from there on);
 *   JWRN_MUST_RESYNC    a restart marker is missing or out of order (a band of the image is lost);
 *   JWRN_BOGUS_PROGRESSION  a progressive scan refines bits it never received.
 * Accepted, because real cameras and instrument software write them and the pixels are whole:
 *   JWRN_EXTRANEOUS_DATA  padding or junk bytes between the end of a scan and the next marker (seen in
 *                         files from many cameras; all MCUs were decoded before it);
 *   JWRN_NOT_SEQUENTIAL   odd but harmless SOS parameters in a sequential file;
 *   JWRN_ADOBE_XFORM, JWRN_JFIF_MAJOR, JWRN_BOGUS_ICC   metadata we do not use.
 */
static void jpeg_emit_message_checked(j_common_ptr cinfo, int level) {
    pt_jpeg_error *error = (pt_jpeg_error *)cinfo->err;
    if (level < 0) {
        error->base.num_warnings++;
        switch (error->base.msg_code) {
        case JWRN_JPEG_EOF:
        case JWRN_HIT_MARKER:
            error->truncated = 1;
            longjmp(error->jump, 1);
        case JWRN_HUFF_BAD_CODE:
        case JWRN_ARITH_BAD_CODE:
        case JWRN_MUST_RESYNC:
        case JWRN_BOGUS_PROGRESSION:
            longjmp(error->jump, 1);
        default:
            break;
        }
    }
}

static void jpeg_output_nothing(j_common_ptr cinfo) { (void)cinfo; }

static void install_error_manager(struct jpeg_decompress_struct *cinfo, pt_jpeg_error *error) {
    cinfo->err = jpeg_std_error(&error->base);
    error->base.error_exit = jpeg_error_exit_jump;
    error->base.emit_message = jpeg_emit_message_checked;
    error->base.output_message = jpeg_output_nothing;
    error->truncated = 0;
}

int pt_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   pt_image_info *info, uint8_t **pixels, char *message, size_t message_size) {
    if (pixels) *pixels = NULL;
    memset(info, 0, sizeof(*info));
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        set_message(message, message_size, "not a JPEG signature");
        return PT_ERR_CORRUPT;
    }
    struct jpeg_decompress_struct cinfo;
    pt_jpeg_error error;
    uint8_t *volatile buffer = NULL;
    uint8_t *volatile row = NULL;
    volatile int status = PT_OK;
    install_error_manager(&cinfo, &error);
    if (setjmp(error.jump)) {
        if (status == PT_OK) {
            if (error.truncated) {
                status = PT_ERR_TRUNCATED;
                set_message(message, message_size,
                            error.base.msg_code == JWRN_HIT_MARKER
                                ? "truncated: the image data ends before the image does"
                                : "truncated: the file ends before the image data does");
            } else {
                char text[JMSG_LENGTH_MAX];
                error.base.format_message((j_common_ptr)&cinfo, text);
                status = PT_ERR_CORRUPT;
                set_message(message, message_size, text);
            }
        }
        jpeg_destroy_decompress(&cinfo);
        free(buffer);
        free(row);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    info->width = cinfo.image_width;
    info->height = cinfo.image_height;
    info->source_bit_depth = (uint32_t)cinfo.data_precision;
    info->interlaced = jpeg_has_multiple_scans(&cinfo) ? 1 : 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: info->source_color = PT_SOURCE_GRAY; info->channels = 1; break;
    case JCS_YCbCr: info->source_color = PT_SOURCE_YCBCR; info->channels = 3; break;
    case JCS_RGB: info->source_color = PT_SOURCE_RGB; info->channels = 3; break;
    case JCS_CMYK: info->source_color = PT_SOURCE_CMYK; info->channels = 3; break;
    case JCS_YCCK: info->source_color = PT_SOURCE_YCCK; info->channels = 3; break;
    default:
        status = PT_ERR_UNSUPPORTED;
        set_message(message, message_size, "unsupported JPEG colour space");
        longjmp(error.jump, 1);
    }
    if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
        status = PT_ERR_TOO_LARGE;
        if (message && message_size > 0)
            snprintf(message, message_size, "%ux%u pixels is more than the limit of %llu",
                     (unsigned)cinfo.image_width, (unsigned)cinfo.image_height,
                     (unsigned long long)max_pixels);
        longjmp(error.jump, 1);
    }
    if (header_only || !pixels) {
        jpeg_destroy_decompress(&cinfo);
        return PT_OK;
    }

    int is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    if (is_cmyk) {
        cinfo.out_color_space = JCS_CMYK;
    } else if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else {
        cinfo.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&cinfo);
    /*
     * A progressive file is read whole by jpeg_start_decompress. One cut between two scans and closed
     * with an EOI raises no warning: the scans that never came leave coefficients unsent (-1) or
     * unrefined (> 0), and the picture is blurred or a component is flat grey. Complete progressive
     * files (libjpeg's and mozjpeg's scripts, cameras', editors') end every coefficient at bit 0.
     */
    if (cinfo.progressive_mode && cinfo.coef_bits) {
        for (int c = 0; c < cinfo.num_components; c++) {
            for (int k = 0; k < DCTSIZE2; k++) {
                if (cinfo.coef_bits[c][k] != 0) {
                    status = PT_ERR_TRUNCATED;
                    set_message(message, message_size,
                                "truncated: the progressive scans end before the image is complete");
                    longjmp(error.jump, 1);
                }
            }
        }
    }
    size_t width = cinfo.output_width, height = cinfo.output_height;
    size_t in_components = (size_t)cinfo.output_components;
    size_t out_channels = info->channels;
    buffer = (uint8_t *)malloc(width * height * out_channels ? width * height * out_channels : 1);
    row = is_cmyk ? (uint8_t *)malloc(width * in_components) : NULL;
    if (!buffer || (is_cmyk && !row)) {
        status = PT_ERR_NO_MEMORY;
        set_message(message, message_size, "out of memory");
        longjmp(error.jump, 1);
    }
    /* Adobe writes CMYK inverted (0 = full ink); plain CMYK stores ink amounts directly. */
    int inverted = cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *target = buffer + (size_t)cinfo.output_scanline * width * out_channels;
        JSAMPROW scan = is_cmyk ? row : target;
        jpeg_read_scanlines(&cinfo, &scan, 1);
        if (is_cmyk) {
            for (size_t x = 0; x < width; x++) {
                unsigned c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2], k = row[4 * x + 3];
                if (!inverted) { c = 255 - c; m = 255 - m; yy = 255 - yy; k = 255 - k; }
                target[3 * x] = (uint8_t)((c * k + 127) / 255);
                target[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
                target[3 * x + 2] = (uint8_t)((yy * k + 127) / 255);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    *pixels = buffer;
    return PT_OK;
}

int pt_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int components, int quality,
                   int progressive, uint8_t **out, size_t *out_size, char *message, size_t message_size) {
    *out = NULL;
    *out_size = 0;
    if (components != 1 && components != 3 && components != 4) {
        set_message(message, message_size, "components must be 1, 3 or 4");
        return PT_ERR_UNSUPPORTED;
    }
    struct jpeg_compress_struct cinfo;
    pt_jpeg_error error;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = jpeg_error_exit_jump;
    error.base.output_message = jpeg_output_nothing;
    if (setjmp(error.jump)) {
        char text[JMSG_LENGTH_MAX];
        error.base.format_message((j_common_ptr)&cinfo, text);
        set_message(message, message_size, text);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return PT_ERR_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &buffer_size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : (components == 3 ? JCS_RGB : JCS_CMYK);
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = buffer_size;
    return PT_OK;
}
