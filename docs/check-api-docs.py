#!/usr/bin/env python3
"""check-api-docs.py - build the API reference and check that it is complete.

    check-api-docs.py --doxygen EXE --doxyfile FILE --xml DIR --warnings FILE \
                      --headers include/lrc

Runs Doxygen with FILE (after removing the previous XML output and warning
log, so nothing stale is checked), then fails (exit 1) when

  - Doxygen fails or writes any warning (WARN_LOGFILE), above all for
    include/lrc/;
  - a public function, i.e. every `lrc_...(` declared at file scope in the
    headers (prototypes and static inline definitions), is missing from the
    XML of its header or has an empty description.

Python 3 standard library only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def strip_c(text):
    """The code of a header without comments, string literals, preprocessor
    lines and the extern "C" wrapper; line structure is kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text[i] in "\"'":
            q = text[i]
            j = i + 1
            while j < n and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            out.append(q + q)
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    code = "".join(out)
    # #ifdef __cplusplus / extern "C" { / #endif, and its closing brace.
    code = re.sub(r'#\s*ifdef\s+__cplusplus.*?#\s*endif', "", code, flags=re.S)
    lines = []
    cont = False
    for line in code.split("\n"):
        if cont or re.match(r"\s*#", line):
            cont = line.rstrip().endswith("\\")
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines)


def public_functions(path):
    """Names of the lrc_* functions declared at file scope in a header."""
    with open(path, encoding="utf-8") as f:
        code = strip_c(f.read())
    names = []
    depth = 0
    pos = 0
    for m in re.finditer(r"[{}]|\b(lrc_[A-Za-z0-9_]*)\s*\((?!\s*\*)", code):
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
        elif depth == 0:
            # Not a call or a cast inside an initialiser: the name follows a
            # type (an identifier or '*'), not '(' or ','.
            before = code[pos:m.start()].rstrip()
            if before and before[-1] in "(,=":
                continue
            if m.group(1) not in names:
                names.append(m.group(1))
        pos = m.end()
    return names


def text_of(elem):
    return "".join(elem.itertext()).strip() if elem is not None else ""


def documented_functions(xml_dir, root_dir):
    """{header path: {function name: description text}} from the XML (paths
    there are relative to the project's root, STRIP_FROM_PATH)."""
    index = ET.parse(os.path.join(xml_dir, "index.xml")).getroot()
    result = {}
    for comp in index.findall("compound"):
        if comp.get("kind") != "file":
            continue
        root = ET.parse(os.path.join(xml_dir, comp.get("refid") + ".xml")).getroot()
        for cdef in root.findall("compounddef"):
            loc = cdef.find("location")
            if loc is None:
                continue
            funcs = result.setdefault(
                os.path.normpath(os.path.join(root_dir, loc.get("file"))), {})
            for m in cdef.iter("memberdef"):
                if m.get("kind") != "function":
                    continue
                desc = " ".join(
                    t for t in (text_of(m.find("briefdescription")),
                                text_of(m.find("detaileddescription"))) if t)
                funcs[m.findtext("name")] = desc
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--doxygen", required=True)
    ap.add_argument("--doxyfile", required=True)
    ap.add_argument("--xml", required=True, help="XML_OUTPUT directory of the Doxyfile")
    ap.add_argument("--warnings", required=True, help="WARN_LOGFILE of the Doxyfile")
    ap.add_argument("--headers", required=True, help="the include/lrc directory")
    a = ap.parse_args()

    problems = []
    if os.path.isdir(a.xml):
        shutil.rmtree(a.xml)
    if os.path.exists(a.warnings):
        os.remove(a.warnings)
    run = subprocess.run([a.doxygen, a.doxyfile], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0:
        sys.stdout.write(run.stdout)
        print(f"FAIL: {a.doxygen} {a.doxyfile} exited with {run.returncode}")
        return 1

    headers_dir = os.path.realpath(a.headers)
    warnings = []
    if os.path.exists(a.warnings):
        with open(a.warnings, encoding="utf-8", errors="replace") as f:
            for w in f:
                w = w.rstrip("\n")
                if w.strip() and w not in warnings:  # Doxygen repeats some
                    warnings.append(w)
    root_dir = os.path.dirname(os.path.dirname(headers_dir))
    rel_headers = os.path.relpath(headers_dir, root_dir) + os.sep
    ours = [w for w in warnings if headers_dir + os.sep in w or w.startswith(rel_headers)]
    for w in ours:
        problems.append(f"doxygen warning for the public headers: {w}")
    for w in warnings:
        if w not in ours:
            problems.append(f"doxygen warning: {w}")

    documented = documented_functions(a.xml, root_dir)
    headers = sorted(f for f in os.listdir(headers_dir) if f.endswith(".h"))
    total = 0
    for h in headers:
        path = os.path.join(headers_dir, h)
        in_xml = documented.get(os.path.normpath(path))
        names = public_functions(path)
        total += len(names)
        if in_xml is None:
            problems.append(f"include/lrc/{h}: not in the reference at all")
            continue
        for name in names:
            if name not in in_xml:
                problems.append(f"include/lrc/{h}: {name}() is missing from the reference")
            elif not in_xml[name]:
                problems.append(f"include/lrc/{h}: {name}() has no description "
                                "(add a comment directly above its declaration)")
    if total < 50:
        problems.append(f"only {total} public functions found in {headers_dir}: "
                        "the header scan is broken")

    if problems:
        for p in problems:
            print("FAIL:", p)
        return 1
    print(f"ok: {total} public functions in {len(headers)} headers, each documented; "
          "doxygen wrote no warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
