#!/usr/bin/env python3
"""Prints the characters the bundled label font keeps: ASCII, Latin-1, CJK punctuation and
full-width forms, all of GB2312, Big5 level 1 (the common Traditional characters) and every
character in the GeoJSON files named on the command line. Deterministic: sorted code points."""
import json
import sys

chars = set(chr(c) for c in range(0x20, 0x7F))
chars |= set(chr(c) for c in range(0xA0, 0x100))
chars |= set(chr(c) for c in range(0x3000, 0x3040))  # CJK symbols and punctuation
chars |= set(chr(c) for c in range(0xFF00, 0xFFF0))  # full-width forms
chars |= set("·—–‘’“”…•℃№")

def two_byte(codec, hi_range, lo_range):
    for hi in hi_range:
        for lo in lo_range:
            try:
                chars.update(bytes([hi, lo]).decode(codec))
            except UnicodeDecodeError:
                pass

two_byte("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))  # GB2312: symbols + 6763 hanzi
# Big5 level 1 (frequently used hanzi, 0xA440-0xC67E) and its symbols (0xA140-0xA3BF).
two_byte("big5", range(0xA1, 0xC7), list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)))

def walk(v):
    if isinstance(v, str):
        chars.update(v)
    elif isinstance(v, dict):
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for feat in data.get("features", []):
        props = feat.get("properties") or {}
        for k, v in props.items():
            if k == "name" or k.startswith("name:zh"):
                walk(v)

sys.stdout.write("".join(sorted(c for c in chars if c.isprintable())))
