#!/usr/bin/env python3
"""Writes runtime/Llmc.Runtime/Tokenization/unicode-nfc.txt, the Unicode facts NFC needs, from Python's unicodedata.

.NET in globalization-invariant mode (which llmc uses, so the portable build needs no ICU) does not normalize strings,
so the tokenizer carries its own canonical data. Lines:
  v <unicode version>
  c <code point> <canonical combining class>      for every code point whose class is not 0
  d <code point> <code point>...                  its full canonical decomposition (Hangul syllables are algorithmic)
  p <first> <second> <composite>                  primary composites: pairs NFC composes (exclusions left out)
Code points in hex. Run: python3 tools/unicode/make-nfc-table.py
"""
import os
import sys
import unicodedata

HANGUL = range(0xAC00, 0xAC00 + 11172)


def canonical(cp):
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return None
    return [int(x, 16) for x in d.split()]


def full(cp):
    d = canonical(cp)
    if d is None:
        return [cp]
    return [x for part in d for x in full(part)]


lines = [f"v {unicodedata.unidata_version}"]
for cp in range(sys.maxunicode + 1):
    if 0xD800 <= cp <= 0xDFFF or cp in HANGUL:
        continue
    ccc = unicodedata.combining(chr(cp))
    if ccc:
        lines.append(f"c {cp:X} {ccc}")
    d = canonical(cp)
    if d is None:
        continue
    lines.append("d %X %s" % (cp, " ".join("%X" % x for x in full(cp))))
    # A primary composite survives NFC itself; singletons, exclusions and non-starter decompositions do not.
    if len(d) == 2 and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
        lines.append(f"p {d[0]:X} {d[1]:X} {cp:X}")

out = os.path.join(os.path.dirname(__file__), "..", "..", "runtime", "Llmc.Runtime", "Tokenization", "unicode-nfc.txt")
with open(out, "w", encoding="ascii", newline="\n") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines, Unicode {unicodedata.unidata_version}")
