#ifndef PLANKTERM_CCHAFA_H
#define PLANKTERM_CCHAFA_H
#include <chafa.h>
#include <string.h>
#include <stdlib.h>

/* One picture as sixels (chafa's canvas in sixel pixel mode): RGBA pixels (alpha 0 stays transparent)
   scaled to columns × rows cells of cell_width × cell_height pixels. Returns a malloc'd buffer of
   *length bytes (free with free), or NULL. */
static inline char *pt_chafa_sixels(const unsigned char *rgba, int width, int height, int columns, int rows,
                                    int cell_width, int cell_height, size_t *length) {
    ChafaCanvasConfig *config = chafa_canvas_config_new();
    chafa_canvas_config_set_geometry(config, columns, rows);
    chafa_canvas_config_set_cell_geometry(config, cell_width, cell_height);
    chafa_canvas_config_set_pixel_mode(config, CHAFA_PIXEL_MODE_SIXELS);
    ChafaCanvas *canvas = chafa_canvas_new(config);
    chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, rgba, width, height, width * 4);
    ChafaTermInfo *info = chafa_term_db_get_fallback_info(chafa_term_db_get_default());
    GString *text = chafa_canvas_print(canvas, info);
    char *out = NULL;
    if (text) {
        out = malloc(text->len ? text->len : 1);
        if (out) { memcpy(out, text->str, text->len); *length = text->len; }
        g_string_free(text, TRUE);
    }
    chafa_term_info_unref(info);
    chafa_canvas_unref(canvas);
    chafa_canvas_config_unref(config);
    return out;
}
#endif
