#!/usr/bin/env python3
"""Lists the Rust crates linked into `lamppost` for one target, with their licences and the full
licence texts found in each crate's source.

Reads `cargo metadata --filter-platform TARGET` on stdin (scripts/package.sh writes the result to
THIRD-PARTY.txt in every package). Build and dev dependencies are left out: they are not shipped.
The texts are the crate's own LICENSE*/LICENCE*/COPYING*/UNLICENSE*/NOTICE* files (and its
`license-file`), beside its Cargo.toml in cargo's registry; identical texts (after line ends and
trailing spaces are evened out) are printed once, with every crate that has them.
"""
import json
import os
import re
import sys

m = json.load(sys.stdin)
packages = {p["id"]: p for p in m["packages"]}
nodes = {n["id"]: n for n in m["resolve"]["nodes"]}
root = m["resolve"]["root"]
# The programs that ship: `lamppost` and the basemap builder beside it. The workspace's own
# crates are Lamppost itself, not third-party.
members = set(m["workspace_members"])
shipped = [i for i in members if packages[i]["name"] == "lamppost-basemap-builder"]
seen, todo = set(), [root, *shipped]
while todo:
    i = todo.pop()
    if i in seen:
        continue
    seen.add(i)
    for d in nodes[i]["deps"]:
        if any(k["kind"] is None for k in d["dep_kinds"]):
            todo.append(d["pkg"])

LICENCE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|UNLICENSE|NOTICE)", re.I)


def licence_files(p):
    """The licence files of one crate: (file name, normalised text)."""
    crate_dir = os.path.dirname(p["manifest_path"])
    names = set()
    try:
        names.update(n for n in os.listdir(crate_dir) if LICENCE_FILE.match(n))
    except OSError:
        pass
    if p.get("license_file"):
        names.add(p["license_file"])
    out = []
    for n in sorted(names):
        path = os.path.join(crate_dir, n)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line.rstrip() for line in f.read().replace("\r\n", "\n").split("\n")]
        text = "\n".join(lines).strip("\n")
        if text:
            out.append((n, text))
    return out


crates = sorted((packages[i] for i in seen if i not in members), key=lambda p: (p["name"], p["version"]))
texts = {}  # text -> [(crate, file)]
without = []
for p in crates:
    found = licence_files(p)
    if not found:
        without.append(p)
    for name, text in found:
        texts.setdefault(text, []).append(f"{p['name']} {p['version']} ({name})")

print("Lamppost is built from these Rust crates (name version: licence). The licence texts found in")
print("each crate's source follow the list. SQLite (bundled by libsqlite3-sys) is in the public domain.")
print("Lamppost 使用了以下 Rust 组件（名称 版本：许可证），各组件源码中的许可证全文附在列表之后。")
print()
for p in crates:
    licence = p.get("license") or p.get("license_file") or "see its source"
    print(f"{p['name']} {p['version']}: {licence}")
if without:
    print()
    print("These crates ship no licence file in their source; their licence is the SPDX expression above:")
    print("以下组件的源码中没有许可证文件，其许可证见上面的 SPDX 表达式：")
    for p in without:
        print(f"  {p['name']} {p['version']}: {p.get('license') or 'see its source'}")
print()
print("=" * 78)
print("Licence texts / 许可证全文")
print("=" * 78)
# The most shared texts first (the Apache and MIT licences of the common crates).
for text, users in sorted(texts.items(), key=lambda kv: (-len(kv[1]), kv[1][0])):
    print()
    print("-" * 78)
    print("Used by / 用于: " + ", ".join(users))
    print("-" * 78)
    print(text)
