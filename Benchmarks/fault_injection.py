#!/usr/bin/env python3
"""Helper of Benchmarks/fault-injection.sh (plain python3 stdlib).

  fault_injection.py damage SRC KIND DST    write the damaged copy of SRC to DST
                                            (KIND: truncated | zero | random | header; 'deleted' needs no copy)
  fault_injection.py table RESULTS.tsv OUT.md [RUNTIME_S]
                                            print the markdown table and summary, write it to OUT.md;
                                            exit 1 when a signal, a label loss or a garbage model occurred
"""
import hashlib
import random
import sys

HEADER = bytes.fromhex("deadbeef") * 4  # 'wrong header': the first 16 bytes overwritten with this


def damage(src, kind, dst):
    data = open(src, "rb").read()
    if kind == "truncated":
        out = data[: len(data) // 2]
    elif kind == "zero":
        out = b""
    elif kind == "random":
        seed = int.from_bytes(hashlib.sha256((src + kind).encode()).digest()[:8], "little")
        out = random.Random(seed).randbytes(len(data))
    elif kind == "header":
        n = min(16, len(data))
        out = HEADER[:n] + data[n:]
    else:
        sys.exit(f"unknown damage {kind}")
    open(dst, "wb").write(out)


SIGNALS = {4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
           11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"}

# results.tsv columns (written by fault-injection.sh)
COLS = ["state", "file", "damage", "command", "rc", "secs", "stderr", "labels", "ack", "model",
        "oof", "ref_oof", "output", "damage_loss", "stdout"]


def pct(x):
    try:
        return f"{float(x) * 100:.1f} %"
    except ValueError:
        return x or "?"


def outcome(r):
    """(outcome text, set of categories)."""
    cats = set()
    rc = int(r["rc"])
    first = r["stderr"].strip()
    if rc == 124:
        text = f"TIMEOUT after {r['secs']} s"
        cats.add("timeout")
    elif rc > 128:
        sig = SIGNALS.get(rc - 128, f"signal {rc - 128}")
        text = f"SIGNAL {sig}" + (f": {first}" if first else "")
        cats.add("signal")
    elif rc == 0:
        text = "ok" + (f" (stderr: {first})" if first else "")
    else:
        if first.startswith("error: "):
            text = ("error: " if rc == 1 else f"error (exit {rc}): ") + first[7:]
        elif first:
            text = f"exit {rc}, stderr: {first}"
            cats.add("unclear")
        else:
            text = f"exit {rc}, nothing on stderr" + (f" (stdout: {r['stdout']})" if r["stdout"] else "")
            cats.add("unclear")
    if r["labels"] not in ("", "same"):
        text += f"; labels changed! ({r['labels']})"
        cats.add("labels")
    if r["ack"] == "lost":
        text += "; acknowledged label lost!"
        cats.add("labels")
    if r["model"] == "garbage":
        text += f"; garbage model installed (out-of-fold accuracy {pct(r['oof'])}; {pct(r['ref_oof'])} on the pristine project)"
        cats.add("garbage")
    elif r["model"] == "surviving-labels":
        text += f"; new model from the surviving labels (oof {pct(r['oof'])}; pristine {pct(r['ref_oof'])})"
    if r["output"] == "differs" and rc == 0:
        text += "; output ≠ pristine"
        # silent: nothing said on stderr, and not just the consequence of labels the damage itself lost
        if not first and r["damage_loss"] in ("", "0"):
            cats.add("silent")
    return text, cats


def table(tsv, out_md, runtime=None):
    rows = []
    with open(tsv, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < len(COLS):
                parts += [""] * (len(COLS) - len(parts))
            rows.append(dict(zip(COLS, parts)))
    lines = ["| file | damage | command | outcome |", "|---|---|---|---|"]
    counts = {k: 0 for k in ("signal", "timeout", "labels", "garbage", "silent", "unclear")}
    findings = []
    damage_losses = {}
    ok = err = 0
    for r in rows:
        text, cats = outcome(r)
        for c in cats:
            counts[c] += 1
        if cats:
            findings.append((r, text, cats))
        if not cats:
            if text.startswith("ok"):
                ok += 1
            else:
                err += 1
        fname = r["file"] + (" (live WAL)" if r["state"] == "live" else "")
        if r["damage_loss"] not in ("", "0"):
            damage_losses[(fname, r["damage"])] = r["damage_loss"]
        lines.append(f"| {fname} | {r['damage']} | {r['command']} | {text.replace('|', '/')} |")
    summary = (f"**Summary**: {len(rows)} runs: {ok} ok, {err} clean errors; "
               f"{counts['signal']} killed by a signal, {counts['timeout']} timeouts, "
               f"{counts['labels']} with labels lost or changed by the command, "
               f"{counts['garbage']} garbage models installed, "
               f"{counts['unclear']} failures without an 'error:' line, "
               f"{counts['silent']} silent successes (exit 0, no stderr) whose output differs from the pristine project's.")
    if runtime:
        summary += f" Runtime {runtime} s."
    out = ["# plankterm fault injection", "", summary, ""]
    if damage_losses:
        out.append("Labels lost by the damage itself (they were only in the damaged file; no command involved):")
        for (f, d), n in sorted(damage_losses.items()):
            out.append(f"- {f}, {d}: {n} annotation(s)")
        out.append("")
    bad = [(r, t) for r, t, c in findings if c - {"silent"}]
    silent = [(r, t) for r, t, c in findings if c == {"silent"}]
    if bad:
        out.append("## Bugs (signal, timeout, label loss, garbage model, failure without an 'error:' line)")
        out.append("")
        out += ["| file | damage | command | outcome |", "|---|---|---|---|"]
        for r, t in bad:
            out.append(f"| {r['file']}{' (live WAL)' if r['state'] == 'live' else ''} | {r['damage']} | {r['command']} | {t.replace('|', '/')} |")
        out.append("")
    if silent:
        out.append("## Exit 0 on damaged data, nothing on stderr, output different from the pristine project's")
        out.append("")
        out += ["| file | damage | command | outcome |", "|---|---|---|---|"]
        for r, t in silent:
            out.append(f"| {r['file']}{' (live WAL)' if r['state'] == 'live' else ''} | {r['damage']} | {r['command']} | {t.replace('|', '/')} |")
        out.append("")
    out.append("## All runs")
    out.append("")
    out += lines
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if out_md:
        with open(out_md, "w", encoding="utf-8") as f:
            f.write(text)
    return 1 if counts["signal"] or counts["labels"] or counts["garbage"] else 0


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "damage":
        damage(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 4 and sys.argv[1] == "table":
        sys.exit(table(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None))
    else:
        sys.exit(__doc__)
