#!/usr/bin/env python3
"""Draws plankterm's demo subset from the NDSB dev set (PlanktonSet 1.0 PNGs, one folder per class).

    python3 Demo/make_demo.py SOURCE_PNG_DIR [--out DEMO_DIR] [--per-class N] [--seed S]

For every class folder of SOURCE_PNG_DIR (classes in sorted order), the PNG file names are sorted, then
shuffled with random.Random(S) (a fresh generator with the same seed for every class, so a class's draw
does not depend on the others), and the first N are copied byte for byte to DEMO_DIR/images/<class>/.
A class with fewer than N images gives all of them. DEMO_DIR/images is replaced; DEMO_DIR/labels.csv
(columns path,label; path relative to DEMO_DIR/images) is rewritten. Standard library only.
"""
import argparse
import csv
import random
import shutil
import sys
from pathlib import Path

SEED = 20260101
PER_CLASS = 10


def draw(names, per_class, seed):
    """The demo's images of one class: sorted names, shuffled with a fresh seeded generator, first N."""
    chosen = sorted(names)
    random.Random(seed).shuffle(chosen)
    return sorted(chosen[:per_class])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="folder of class folders of PNGs (ndsb-planktonset/png)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="the demo folder (default: the folder of this script)")
    parser.add_argument("--per-class", type=int, default=PER_CLASS, help=f"images per class (default {PER_CLASS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the draw (default {SEED})")
    args = parser.parse_args(argv)

    classes = sorted(p for p in args.source.iterdir() if p.is_dir())
    if not classes:
        sys.exit(f"make_demo: {args.source}: no class folders")
    images = args.out / "images"
    if images.exists():
        shutil.rmtree(images)
    rows = []
    total_bytes = 0
    for folder in classes:
        names = [p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png"]
        picked = draw(names, args.per_class, args.seed)
        (images / folder.name).mkdir(parents=True)
        for name in picked:
            shutil.copyfile(folder / name, images / folder.name / name)
            total_bytes += (folder / name).stat().st_size
            rows.append((f"{folder.name}/{name}", folder.name))
    with open(args.out / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["path", "label"])
        writer.writerows(rows)
    short = sum(1 for folder in classes if len(list((images / folder.name).iterdir())) < args.per_class)
    print(f"make_demo: {len(classes)} classes, {len(rows)} images ({short} classes with fewer than "
          f"{args.per_class}), {total_bytes / 1e6:.2f} MB, seed {args.seed} → {images}")


if __name__ == "__main__":
    main(sys.argv[1:])
