#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""man3.py HEADER OUTDIR VERSION: the C API's manual pages, from fdpass.h.

The header is the reference: each function's comment is its contract. This
turns it into section 3 pages, so that the pages can never disagree with
it: one page per comment (functions that share a comment share a page,
the others reach it through a .so link), and fdpass(3), the overview, from
the header's opening comment, its "Messages and sockets" comment and the
status table FDPASS_ERRNO_MAP.
"""
import os
import re
import sys

header, outdir, version = sys.argv[1:4]
text = open(header).read()
os.makedirs(outdir, exist_ok=True)


def roff(paragraph):
    """Comment prose to roff: escapes, `code` in bold, no leading dots."""
    out = paragraph.replace("\\", "\\e")
    out = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", out)
    lines = []
    for line in out.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def prose(comment):
    """The text of a /* ... */ comment, as paragraphs of joined lines; a
    line starting with '-' starts an item of its own."""
    body = re.sub(r"^/\*+|\*+/$", "", comment.strip())
    lines = [re.sub(r"^\s*\* ?", "", l).rstrip() for l in body.split("\n")]
    paragraphs, current = [], []
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("- "):
            if current:
                paragraphs.append(" ".join(current))
            current = [stripped] if stripped else []
        else:
            current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    return [p for p in paragraphs if p]


def page(name, title, sections):
    with open(os.path.join(outdir, name + ".3"), "w") as f:
        f.write(f'.TH {name.upper()} 3 "{version}" "libfdpass {version}" '
                '"Library Functions Manual"\n')
        f.write(f".SH NAME\n{title}\n")
        for heading, body in sections:
            f.write(f".SH {heading}\n{body}\n")


def paragraphs_roff(paragraphs):
    out = []
    for p in paragraphs:
        if p.startswith("- "):
            out.append(".IP \\(bu 2\n" + roff(p[2:]))
        else:
            out.append(".PP\n" + roff(p))
    return "\n".join(out)


SEE_ALSO = ".BR fdpass (3)"
declaration = re.compile(r"FDPASS_API\s+([^;]*?\b(fdpass_\w+)\s*\([^;]*\));",
                         re.S)
# A comment and the declarations right after it.
block = re.compile(r"(/\*(?:(?!\*/).)*\*/)\s*((?:FDPASS_API[^;]*;\s*)+)", re.S)
functions = []
for match in block.finditer(text):
    comment, decls = match.group(1), match.group(2)
    names = [d.group(2) for d in declaration.finditer(decls)]
    protos = [re.sub(r"\s+", " ", d.group(1)) for d in declaration.finditer(decls)]
    paragraphs = prose(comment)
    split = next((i for i, p in enumerate(paragraphs) if "Return" in p), None)
    description = paragraphs
    returns = []
    if split is not None:
        # The "Returns ..." sentence and what follows it.
        first = paragraphs[split]
        at = first.index("Return")
        description = paragraphs[:split] + ([first[:at]] if first[:at].strip() else [])
        returns = [first[at:]] + paragraphs[split + 1:]
    summary = re.split(r"(?<=[.;:])\s", description[0] if description else
                       names[0])[0].rstrip(".;:")
    synopsis = ".nf\n.B #include <fdpass.h>\n.PP\n" + "\n".join(
        ".BI \"" + p.replace('"', '\\"') + ";\"" for p in protos) + "\n.fi"
    sections = [("SYNOPSIS", synopsis),
                ("DESCRIPTION", paragraphs_roff(description))]
    if returns:
        sections.append(("RETURN VALUE", paragraphs_roff(returns)))
    if "_WIN32" in text[max(0, match.start() - 20):match.start()]:
        sections.append(("AVAILABILITY", ".PP\nNative Windows only."))
    sections.append(("SEE ALSO", SEE_ALSO))
    page(names[0], ", ".join(names) + " \\- " + roff(summary), sections)
    for other in names[1:]:
        with open(os.path.join(outdir, other + ".3"), "w") as f:
            f.write(f".so man3/{names[0]}.3\n")
    functions += [(n, summary) for n in names]

# fdpass(3): the conventions, the messages, the codes, the functions.
opening = prose(re.match(r"\s*(/\*.*?\*/)", text, re.S).group(1))
messages = re.search(r"(/\*\s*\n\s*\* Messages and sockets\..*?\*/)", text, re.S)
codes = re.findall(r'XX\((\w+), (-\d+), "([^"]*)"\)', text)
table = ".TS\nl l lx.\n" + "\n".join(
    f"FDPASS_{n}\t{v}\t{roff(m)}" for n, v, m in codes) + "\n.TE"
listing = "\n".join(f".TP\n.BR {n} (3)\n{roff(s)}" for n, s in functions)
page("fdpass", "libfdpass \\- pass open file descriptors between processes", [
    ("SYNOPSIS", ".nf\n.B #include <fdpass.h>\n.fi\n.PP\nLink with "
     "\\fB$(pkg-config --libs fdpass)\\fR."),
    ("DESCRIPTION", paragraphs_roff(opening[1:])),
    ("MESSAGES AND SOCKETS",
     paragraphs_roff(prose(messages.group(1))[1:]) if messages else ""),
    ("STATUS CODES", ".PP\nEvery function returns FDPASS_OK (0) or one of "
     "these; its page lists the ones it returns. "
     "\\fBfdpass_strerror\\fR(3) and \\fBfdpass_errname\\fR(3) name them.\n"
     + table),
    ("FUNCTIONS", listing),
    ("SEE ALSO", ".BR fdpass (1)"),
])
print(f"man3.py: {len(functions)} functions, pages in {outdir}")
