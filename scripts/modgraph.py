#!/usr/bin/env python3
"""The import graph between the modules of one crate, drawn from its source.

    scripts/modgraph.py crates/lang/src [--dot]

Each .rs file is a module. An arrow A -> B means A names B's items (`use crate::b::...`,
`super::b`, `crate::b::f(...)` inline, or a child module's path). Floors are computed from the
bottom: a module that imports nothing of the crate is on floor 1, any other one floor above
the highest module it imports. Modules that import each other (a circle) cannot be put on
floors; every arrow inside a circle is counted as a back-up (a module importing one that is
not below it). Test modules (`#[cfg(test)]` to the end of the file) are left out.
"""
import os
import re
import sys


def modules(root):
    mods = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".rs"):
                continue
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, root)[:-3].split(os.sep)
            if rel[-1] in ("lib", "main", "mod"):
                rel = rel[:-1]
            mods[tuple(rel)] = os.path.relpath(p, root)
    return mods


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def expand(prefix, body):
    """`a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e"""
    out = []
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(body):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    for part in parts:
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([\w:]*?)(::)?\{(.*)\}$", part, re.S)
        if m:
            sub = (prefix + "::" + m.group(1)) if m.group(1) else prefix
            out += expand(sub.rstrip(":"), m.group(3))
        else:
            out.append(prefix + "::" + part.split(" as ")[0].strip())
    return out


def paths(text):
    found = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        u = m.group(1).strip()
        g = re.match(r"^([\w:]+?)::\{(.*)\}$", u, re.S)
        found += expand(g.group(1), g.group(2)) if g else [u.split(" as ")[0].strip()]
    found += re.findall(r"\b(?:crate|super|self)(?:::\w+)+", text)
    return found


def resolve(mods, here, path, children):
    segs = [s for s in path.replace(" ", "").split("::") if s]
    if not segs:
        return None
    if segs[0] == "crate":
        base, segs = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    elif segs[0] in children:
        base = here
    else:
        return None
    target = base
    for s in segs:
        if target + (s,) in mods:
            target = target + (s,)
        else:
            break
    return target


def main():
    root = sys.argv[1]
    mods = modules(root)
    edges = set()
    for mod, file in mods.items():
        text = strip(open(os.path.join(root, file)).read())
        children = set(re.findall(r"\bmod\s+(\w+)\s*;", text))
        inline = [m.group(0) for c in children for m in re.finditer(rf"(?<![\w:]){c}(?:::\w+)+", text)]
        for p in paths(text) + inline:
            t = resolve(mods, mod, p, children)
            if t is not None and t != mod:
                edges.add((mod, t))
    # Tarjan's strongly connected components.
    index, low, stack, on, comp, n = {}, {}, [], set(), {}, [0]
    succ = {m: sorted(t for s, t in edges if s == m) for m in mods}

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            while True:
                w = stack.pop()
                on.discard(w)
                comp[w] = v
                if w == v:
                    break

    sys.setrecursionlimit(10000)
    for m in sorted(mods):
        if m not in index:
            visit(m)
    floor = {}

    def floor_of(c):
        if c not in floor:
            floor[c] = 0
            below = [comp[t] for s, t in edges if comp[s] == c and comp[t] != c]
            floor[c] = 1 + max((floor_of(b) for b in below), default=0)
        return floor[c]

    for m in mods:
        floor_of(comp[m])
    name = lambda m: "::".join(m) or "lib"
    backups = sorted((s, t) for s, t in edges if comp[s] == comp[t])
    circles = {}
    for m in mods:
        circles.setdefault(comp[m], []).append(m)
    circles = [sorted(c) for c in circles.values() if len(c) > 1]
    if "--dot" in sys.argv:
        print("digraph modules {")
        for s, t in sorted(edges):
            print(f'  "{name(s)}" -> "{name(t)}";')
        print("}")
        return
    top = max(floor.values())
    for f in range(top, 0, -1):
        row = sorted(name(m) for m in mods if floor[comp[m]] == f)
        print(f"floor {f:2}: {', '.join(row)}")
    print(f"{len(mods)} modules, {top} floors, {len(edges)} arrows, {len(backups)} back-ups, "
          f"{len(circles)} circles")
    for s, t in backups:
        print(f"  back-up: {name(s)} -> {name(t)}")
    for c in circles:
        print(f"  circle: {' ⇄ '.join(name(m) for m in c)}")
    sys.exit(1 if backups else 0)


main()
