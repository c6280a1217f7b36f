/*
 * Writes the JPEG seed corpus (small files, a few KB): the kinds of JPEG the decoder meets, through
 * libjpeg's own encoder with the options the shim's encoder does not expose. Run by Fuzz/make_seeds.py.
 * Usage: make_jpeg_seeds OUTPUT_FOLDER
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

typedef struct {
    const char *name;
    int width, height;
    J_COLOR_SPACE in_space;  /* of the pixels given */
    J_COLOR_SPACE jpeg_space; /* as stored */
    int progressive, arithmetic, restart_rows, optimize, h_sampling, quality;
} seed;

static void write_seed(const char *folder, const seed *s) {
    int components = s->in_space == JCS_GRAYSCALE ? 1 : (s->in_space == JCS_CMYK ? 4 : 3);
    unsigned char *pixels = malloc((size_t)s->width * s->height * components);
    for (int y = 0; y < s->height; y++)
        for (int x = 0; x < s->width; x++)
            for (int c = 0; c < components; c++)
                pixels[((size_t)y * s->width + x) * components + c] =
                    (unsigned char)((x * 9 + y * 5 + c * 60 + ((x / 4 + y / 4) % 2) * 70) & 0xFF);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.jpg", folder, s->name);
    FILE *out = fopen(path, "wb");
    if (!out) { perror(path); exit(1); }
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, out);
    cinfo.image_width = (JDIMENSION)s->width;
    cinfo.image_height = (JDIMENSION)s->height;
    cinfo.input_components = components;
    cinfo.in_color_space = s->in_space;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, s->jpeg_space);
    jpeg_set_quality(&cinfo, s->quality, TRUE);
    if (s->progressive) jpeg_simple_progression(&cinfo);
    cinfo.arith_code = s->arithmetic ? TRUE : FALSE;
    cinfo.optimize_coding = s->optimize ? TRUE : FALSE;
    cinfo.restart_in_rows = s->restart_rows;
    if (s->h_sampling && cinfo.num_components >= 3) {
        cinfo.comp_info[0].h_samp_factor = s->h_sampling;
        cinfo.comp_info[0].v_samp_factor = s->h_sampling;
    }
    jpeg_start_compress(&cinfo, TRUE);
    const char comment[] = "plankterm fuzz seed";
    jpeg_write_marker(&cinfo, JPEG_COM, (const JOCTET *)comment, sizeof comment - 1);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = pixels + (size_t)cinfo.next_scanline * s->width * components;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    fclose(out);
    free(pixels);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s OUTPUT_FOLDER\n", argv[0]); return 2; }
    static const seed seeds[] = {
        {"gray-baseline-16x16", 16, 16, JCS_GRAYSCALE, JCS_GRAYSCALE, 0, 0, 0, 0, 0, 75},
        {"gray-progressive-24x17", 24, 17, JCS_GRAYSCALE, JCS_GRAYSCALE, 1, 0, 0, 0, 0, 85},
        {"rgb-420-baseline-32x24", 32, 24, JCS_RGB, JCS_YCbCr, 0, 0, 0, 0, 2, 75},
        {"rgb-444-optimized-20x12", 20, 12, JCS_RGB, JCS_YCbCr, 0, 0, 0, 1, 1, 90},
        {"rgb-420-progressive-33x18", 33, 18, JCS_RGB, JCS_YCbCr, 1, 0, 0, 0, 2, 80},
        {"rgb-restart-every-row-48x32", 48, 32, JCS_RGB, JCS_YCbCr, 0, 0, 1, 0, 2, 70},
        {"rgb-arithmetic-24x24", 24, 24, JCS_RGB, JCS_YCbCr, 0, 1, 0, 0, 2, 75},
        {"rgb-arithmetic-progressive-24x16", 24, 16, JCS_RGB, JCS_YCbCr, 1, 1, 0, 0, 2, 75},
        {"rgb-stored-as-rgb-16x16", 16, 16, JCS_RGB, JCS_RGB, 0, 0, 0, 0, 0, 75},
        {"cmyk-adobe-16x16", 16, 16, JCS_CMYK, JCS_CMYK, 0, 0, 0, 0, 0, 75},
        {"ycck-adobe-16x8", 16, 8, JCS_CMYK, JCS_YCCK, 0, 0, 0, 0, 0, 75},
        {"cmyk-progressive-restart-16x16", 16, 16, JCS_CMYK, JCS_CMYK, 1, 0, 1, 0, 0, 75},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) write_seed(argv[1], &seeds[i]);
    return 0;
}
