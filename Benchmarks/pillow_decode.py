"""Reference for the import benchmark: open and fully decode every PNG/JPEG under a folder with Pillow.

This is the least a Python tool must do to look at every image: no hashing, no database.
Prints one JSON line: {"tool": "pillow", "images": N, "failed": F, "seconds": S}.
"""
import json
import os
import sys
import time

from PIL import Image


def main(root: str) -> None:
    paths = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.lower().endswith((".png", ".jpg", ".jpeg")) and not name.startswith("."):
                paths.append(os.path.join(folder, name))
    start = time.perf_counter()
    failed = 0
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
        except Exception:
            failed += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": "pillow " + Image.__version__, "images": len(paths), "failed": failed,
                      "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main(sys.argv[1])
