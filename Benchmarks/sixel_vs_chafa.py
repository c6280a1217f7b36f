#!/usr/bin/env python3
"""plankterm's sixels beside the chafa command-line tool's, on the same picture at the same cell size.

  python3 Benchmarks/sixel_vs_chafa.py BINARY PROJECT IMAGE_FILE [COLUMNSxROWS]

Runs `plankterm label PROJECT` on a 120×40 pty whose cells are 8×17 px (TIOCGWINSZ), answering the
device attributes as a sixel terminal, and lists every sixel image of the first screen (bytes, and the
raster size from its `"1;1;W;H` attributes; the first is the main image). Then runs
`chafa -f sixel -s COLUMNSxROWS --scale max IMAGE_FILE` (default 48x35: the main image's box at 120×40)
on the same pty size. IMAGE_FILE should be the image the screen opens on (the first of its queue).
Standard library only.
"""
import fcntl, os, pty, re, select, struct, sys, termios, time


def run(command, answer=None, columns=120, rows=40, wait=6.0):
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, columns * 8, rows * 17))
        os.execvpe(command[0], command, dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8"))
    data, end, answered = b"", time.monotonic() + wait, False
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if answer and not answered and b"\x1b[c" in data:
            os.write(fd, answer)
            answered = True
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    return data


def sixels(data):
    """(bytes, (width, height)) of every DCS … q … ST sixel image in `data`."""
    out = []
    for m in re.finditer(rb"\x1bP[0-9;]*q(.*?)\x1b\\", data, re.S):
        size = re.match(rb'"1;1;(\d+);(\d+)', m.group(1))
        out.append((len(m.group(0)), (int(size.group(1)), int(size.group(2))) if size else None))
    return out


def main():
    binary, project, image = sys.argv[1:4]
    box = sys.argv[4] if len(sys.argv) > 4 else "48x35"
    for n, (size, pixels) in enumerate(sixels(run([binary, "label", project, "--annotator", "sixel-vs-chafa", "--color", "256"],
                                                  answer=b"\x1b[?63;1;2;4;6;9;15;22c"))):
        print(f"plankterm {'main' if n == 0 else 'neighbour'}: {size} bytes, {pixels[0]}x{pixels[1]} px" if pixels else f"plankterm: {size} bytes")
    for size, pixels in sixels(run(["chafa", "-f", "sixel", "-s", box, "--scale", "max", image], wait=3)):
        print(f"chafa -f sixel -s {box} --scale max: {size} bytes, {pixels[0]}x{pixels[1]} px" if pixels else f"chafa: {size} bytes")


if __name__ == "__main__":
    main()
