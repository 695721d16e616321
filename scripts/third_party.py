#!/usr/bin/env python3
"""Lists the Rust crates linked into `lamppost` for one target, with their licences.

Reads `cargo metadata --filter-platform TARGET` on stdin (scripts/package.sh writes the result to
THIRD-PARTY.txt in every package). Build and dev dependencies are left out: they are not shipped.
"""
import json
import sys

m = json.load(sys.stdin)
packages = {p["id"]: p for p in m["packages"]}
nodes = {n["id"]: n for n in m["resolve"]["nodes"]}
root = m["resolve"]["root"]
seen, todo = set(), [root]
while todo:
    i = todo.pop()
    if i in seen:
        continue
    seen.add(i)
    for d in nodes[i]["deps"]:
        if any(k["kind"] is None for k in d["dep_kinds"]):
            todo.append(d["pkg"])

print("Lamppost is built from these Rust crates (name version: licence). Their licence texts are in")
print("each crate's source on crates.io. SQLite (bundled by libsqlite3-sys) is in the public domain.")
print("Lamppost 使用了以下 Rust 组件（名称 版本：许可证）。")
print()
for p in sorted((packages[i] for i in seen if i != root), key=lambda p: (p["name"], p["version"])):
    licence = p.get("license") or p.get("license_file") or "see its source"
    print(f"{p['name']} {p['version']}: {licence}")
