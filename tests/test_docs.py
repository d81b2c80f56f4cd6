"""Every link of README.md and docs/*.md resolves: relative links to files
that exist, #anchors to a heading of the target (GitHub's slugs), #Ln and
#Ln-Lm to lines that exist; every docs/ file is reachable from the README.

    python3 test_docs.py SOURCE_ROOT
"""

import os
import re
import sys

from tracing import check, fail

root = os.path.abspath(sys.argv[1])


def slug(heading):
    """GitHub's anchor for a heading: the rendered text lowercased, every
    character but letters, digits, '_', '-' and spaces dropped, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


# The rules on headings of this kind (the expected anchors are GitHub's).
for heading, expected in [
        ("Dynamic providers (`usdt_dynamic.c`)", "dynamic-providers-usdt_dynamicc"),
        ("Configuration (define before `#include \"usdt.h\"`)",
         "configuration-define-before-include-usdth"),
        ("The library's ABI, for bindings", "the-librarys-abi-for-bindings"),
        ("Node.js", "nodejs"), ("A [link](x.md) -- here", "a-link----here")]:
    check(slug(heading) == expected, f"slug({heading!r}) is {slug(heading)!r}, not {expected!r}")


def prose(text):
    """The text outside fenced code blocks and inline code spans."""
    text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.M | re.S)
    return re.sub(r"(`+).+?\1", "", text, flags=re.S)


def anchors(path):
    """The anchors of a markdown file's headings, duplicates numbered as GitHub does."""
    with open(path) as f:
        text = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", f.read(), flags=re.M | re.S)
    seen = {}
    result = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    return result


documents = [os.path.join(root, "README.md")]
docs_dir = os.path.join(root, "docs")
documents += sorted(os.path.join(docs_dir, name) for name in os.listdir(docs_dir)
                    if name.endswith(".md"))
links = 0
reached = set()
problems = []
for document in documents:
    with open(document) as f:
        text = prose(f.read())
    for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text):
        links += 1
        where = f"{os.path.relpath(document, root)}: link {target}"
        if re.match(r"[a-z]+:", target):
            if not target.startswith(("https://", "http://", "mailto:")):
                problems.append(f"{where}: unknown scheme")
            continue
        path, _, anchor = target.partition("#")
        path = os.path.normpath(os.path.join(os.path.dirname(document), path)) if path \
            else document
        if not path.startswith(root + os.sep):
            problems.append(f"{where}: outside the repository")
            continue
        if not os.path.exists(path):
            problems.append(f"{where}: no such file")
            continue
        reached.add(path)
        if not anchor:
            continue
        if path.endswith(".md"):
            if anchor not in anchors(path):
                problems.append(f"{where}: no heading with this anchor")
            continue
        lines = re.fullmatch(r"L(\d+)(?:-L(\d+))?", anchor)
        if not lines:
            problems.append(f"{where}: an anchor into a source file must be #Ln or #Ln-Lm")
            continue
        with open(path, errors="replace") as f:
            count = len(f.read().splitlines())
        if int(lines.group(lines.lastindex)) > count or int(lines.group(1)) < 1:
            problems.append(f"{where}: {os.path.relpath(path, root)} has {count} lines")

for document in documents[1:]:
    if document not in reached:
        problems.append(f"{os.path.relpath(document, root)}: linked from no document")
if problems:
    fail("broken documentation links:\n" + "\n".join(problems))
check(links > 0, "no links found")
print(f"{links} links in {len(documents)} documents resolve")
