#ifndef PLANKTERM_CNCURSESW_H
#define PLANKTERM_CNCURSESW_H
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>
#include <langinfo.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <unistd.h>

/* Globals and macros that Swift cannot use directly (Swift 6 refuses mutable C globals). */
static inline WINDOW *pt_stdscr(void) { return stdscr; }
static inline int pt_lines(void) { return LINES; }
static inline int pt_cols(void) { return COLS; }
static inline int pt_colors(void) { return COLORS; }
static inline int pt_key_code_yes(void) { return KEY_CODE_YES; }
static inline int pt_is_utf8(void) { const char *c = nl_langinfo(CODESET); return c && (c[0] == 'U' || c[0] == 'u') && (c[1] == 'T' || c[1] == 't') && (c[2] == 'F' || c[2] == 'f'); }

/* One cell: a wide character with an extended colour pair (beyond COLOR_PAIR()'s 255) and attributes. */
static inline int pt_put_cell(int y, int x, wchar_t ch, attr_t attrs, int pair) {
    cchar_t cell;
    wchar_t text[2] = { ch, 0 };
    if (setcchar(&cell, text, attrs, 0, &pair) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

/* A signal that asks the UI loop to end cleanly (SIGTERM, SIGHUP): the loop polls it. */
static volatile sig_atomic_t pt_stop_requested = 0;
static inline void pt_request_stop(int signal) { (void)signal; pt_stop_requested = 1; }
static inline void pt_install_stop_handlers(void) {
    struct sigaction action;
    action.sa_handler = pt_request_stop;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGTERM, &action, 0);
    sigaction(SIGHUP, &action, 0);
}
static inline int pt_stop_was_requested(void) { return pt_stop_requested; }

/* SIGWINCH: noted here, applied on the UI thread by pt_apply_resize (resize_term with the new size). */
static volatile sig_atomic_t pt_resized = 0;
static inline void pt_note_resize(int signal) { (void)signal; pt_resized = 1; }
/* A parent may have left signals blocked (inherited masks): the UI thread must receive these. */
static inline void pt_unblock_terminal_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCONT);
    pthread_sigmask(SIG_UNBLOCK, &set, 0);
}
static inline void pt_install_resize_handler(void) {
    struct sigaction action;
    action.sa_handler = pt_note_resize;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGWINCH, &action, 0);
}
static inline int pt_apply_resize(void) {
    if (!pt_resized) return 0;
    pt_resized = 0;
    struct winsize size;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
        resizeterm(size.ws_row, size.ws_col);
    }
    clearok(curscr, TRUE);
    return 1;
}
/* Flushes curses' output before bytes written to the tty directly (graphics) follow it. */
static inline void pt_flush_stdout(void) { fflush(stdout); }
/* Line-buffered standard output, so that every line reaches a log file as it is printed. */
static inline void pt_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

/* Whether the terminal can move the cursor: a screen needs it, and TERM=dumb (or an unknown entry) cannot. */
static inline int pt_can_address_cursor(void) {
    char *cup = tigetstr("cup");
    return cup != NULL && cup != (char *)-1;
}

/* Bracketed paste: the terminal wraps pasted text in ESC[200~ … ESC[201~, which curses reports as these keys. */
#define PT_KEY_PASTE_START (KEY_MAX + 101)
#define PT_KEY_PASTE_END (KEY_MAX + 102)
static inline int pt_key_paste_start(void) { return PT_KEY_PASTE_START; }
static inline int pt_key_paste_end(void) { return PT_KEY_PASTE_END; }
static inline void pt_set_bracketed_paste(int on) {
    if (on) {
        define_key("\033[200~", PT_KEY_PASTE_START);
        define_key("\033[201~", PT_KEY_PASTE_END);
    }
    putp(on ? "\033[?2004h" : "\033[?2004l");
    fflush(stdout);
}
#endif
