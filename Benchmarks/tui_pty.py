#!/usr/bin/env python3
"""Bandwidth and latency of the labeling screen, measured as a terminal sees it.

Runs `plankterm label PROJECT` under a pseudo-terminal of a given size and TERM, and counts every byte
the app writes:
  - startup: bytes and seconds until the first screen is complete (output quiet for --quiet seconds);
  - full redraw: bytes written after Ctrl-L (the whole screen repainted);
  - per keypress: for each of --keys presses of KEY ('a' = accept the prediction and advance), the bytes
    written and the time from writing the key to the last byte of the new screen.
With --answer it plays a terminal with graphics: it answers plankterm's start-up queries as kitty
(the kitty graphics query answered OK), as a sixel terminal (device attributes with 4) or not at all
(none), and reports how many of the bytes were graphics (kitty APC, sixel DCS, iTerm2 OSC 1337).
Prints one JSON object. Standard library only.
"""
import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time


def spawn(command, columns, rows, env):
    pid, fd = pty.fork()
    if pid == 0:
        # Child: size the terminal before curses starts, then run the app.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.execvpe(command[0], command, env)
    return pid, fd


CELL = (10, 20)  # the cell size this terminal reports (CSI 16 t), in pixels
REPLIES = {
    "kitty": b"\x1b_Gi=31;OK\x1b\\" + b"\x1b[6;%d;%dt" % (CELL[1], CELL[0]) + b"\x1b[?62;22c",
    "sixel": b"\x1b[6;%d;%dt" % (CELL[1], CELL[0]) + b"\x1b[?63;1;2;4;6;9;15;22c",
    "none": b"",
}


def graphics_bytes(data):
    """Bytes inside kitty APC (ESC _ G), sixel DCS (ESC P ... q) and iTerm2 (ESC ] 1337;) sequences."""
    total, i = 0, 0
    while True:
        starts = [j for j in (data.find(b"\x1b_G", i), data.find(b"\x1bP", i), data.find(b"\x1b]1337;", i)) if j >= 0]
        if not starts:
            return total
        start = min(starts)
        end_st = data.find(b"\x1b\\", start + 2)
        end_bel = data.find(b"\x07", start + 2) if data.startswith(b"\x1b]", start) else -1
        ends = [e for e in (end_st + 2 if end_st >= 0 else -1, end_bel + 1 if end_bel >= 0 else -1) if e > 0]
        end = min(ends) if ends else len(data)
        total += end - start
        i = end


def protocols(data):
    """Which image protocols the bytes use, by name, in a fixed order ("" for none)."""
    found = [name for name, mark in (("kitty", b"\x1b_Ga=t"), ("sixel", b"q\"1;1;"), ("iterm", b"\x1b]1337;File="))
             if mark in data]
    return ",".join(found)


def burst(fd, quiet, first_timeout, answer=None, until=None):
    """Reads until the app has written something and then stayed quiet for `quiet` seconds.
    Returns (bytes, time of first byte, time of last byte), times from time.monotonic(). With `answer`
    (bytes), answers the terminal queries once they have all arrived (the device attributes come last).
    With `until` (bytes), the quiet only counts once they have been written."""
    data = bytearray()
    first = last = None
    deadline = time.monotonic() + first_timeout
    while True:
        timeout = quiet if first is not None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            if (first is not None and (until is None or until in data)) or time.monotonic() >= deadline:
                return bytes(data), first, last
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return bytes(data), first, last
        if not chunk:
            return bytes(data), first, last
        now = time.monotonic()
        if first is None:
            first = now
        last = now
        data += chunk
        if answer is not None and b"\x1b[c" in data:
            if answer:
                os.write(fd, answer)
            answer = None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("project")
    parser.add_argument("--term", default="xterm-256color")
    parser.add_argument("--color", default="256", help="plankterm's --color")
    parser.add_argument("--columns", type=int, default=80)
    parser.add_argument("--rows", type=int, default=24)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--key", default="a")
    parser.add_argument("--quiet", type=float, default=0.05, help="seconds of silence that end a screen")
    parser.add_argument("--graphics", default=None, help="plankterm's --graphics (default: not given, auto)")
    parser.add_argument("--answer", choices=sorted(REPLIES), default=None,
                        help="answer the start-up queries as this terminal (default: answer nothing)")
    args = parser.parse_args()

    env = dict(os.environ, TERM=args.term, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("COLORTERM", None)
    command = [args.binary, "label", args.project, "--color", args.color, "--annotator", "bench"]
    if args.graphics:
        command += ["--graphics", args.graphics]
    start = time.monotonic()
    pid, fd = spawn(command, args.columns, args.rows, env)
    first_screen, _, last = burst(fd, 0.5, 120, REPLIES.get(args.answer, b""), until="labelled this session".encode())
    if last is None:
        sys.exit("tui_pty: the app wrote nothing within 120 s")
    startup_seconds = last - start

    os.write(fd, b"\x0c")  # Ctrl-L
    redraw, _, _ = burst(fd, 0.3, 10)

    sizes, latencies, graphics = [], [], []
    for _ in range(args.keys):
        sent = time.monotonic()
        os.write(fd, args.key.encode())
        data, _, last = burst(fd, args.quiet, 10)
        if last is None:
            sys.exit("tui_pty: no screen after a keypress within 10 s; the app had written: "
                     + first_screen[:300].decode("utf-8", "replace"))
        sizes.append(len(data))
        graphics.append(graphics_bytes(data))
        latencies.append((last - sent) * 1000)

    os.write(fd, b"q")
    goodbye, _, _ = burst(fd, 0.3, 10)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    latencies.sort()
    print(json.dumps({
        "term": args.term, "color": args.color, "size": f"{args.columns}x{args.rows}",
        "startup_seconds": round(startup_seconds, 3), "startup_bytes": len(first_screen),
        "full_redraw_bytes": len(redraw),
        "graphics": args.graphics or "auto", "answer": args.answer or "none",
        "startup_graphics_bytes": graphics_bytes(first_screen),
        "protocols": protocols(first_screen + redraw),
        "graphics_bytes_per_key_mean": round(statistics.mean(graphics), 1),
        "keypresses": args.keys, "key": args.key,
        "bytes_per_key_mean": round(statistics.mean(sizes), 1), "bytes_per_key_max": max(sizes),
        "ms_per_key_mean": round(statistics.mean(latencies), 2),
        "ms_per_key_median": round(latencies[len(latencies) // 2], 2),
        "ms_per_key_p95": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "ms_per_key_max": round(latencies[-1], 2),
        "exit_status": os.waitstatus_to_exitcode(status),
    }, sort_keys=True))


if __name__ == "__main__":
    main()
