"""Writes the CSV fixtures in this folder (run once: python tests/data/csv/generate.py). Deterministic.

Malformed files start with ``bad_``; the valid ones start with ``good_``. The 100,001-row file and the issue's
1.2 MB file of one 600,000-field row are made at test time instead (tests/io/test_upload.py), to keep the
repository small; ``bad_wide_row.csv`` is the same shape at 20,001 fields.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def table(header: list[str], rows: list[list]) -> str:
    return "\n".join([",".join(header), *(",".join("" if v is None else str(v) for v in row) for row in rows)]) + "\n"


def main() -> None:
    rng = np.random.default_rng(0)
    files: dict[str, str | bytes] = {}
    numbers = [[round(float(a), 3), round(float(b), 3)] for a, b in rng.normal(size=(30, 2))]

    files["bad_empty.csv"] = b""
    files["bad_header_only.csv"] = "x1,x2,label\n"
    files["bad_too_many_levels.csv"] = table(["x1", "name", "label"],
                                             [[n[0], f"person{i}", i % 2] for i, n in enumerate(numbers)])
    files["bad_all_nan.csv"] = table(["x1", "x2", "label"], [[None, None, None]] * 20)
    files["bad_one_class.csv"] = table(["x1", "x2", "label"], [[*n, "yes"] for n in numbers])
    files["bad_too_many_columns.csv"] = table([f"c{i}" for i in range(201)],
                                              [[(i + j) % 7 for j in range(201)] for i in range(12)])
    files["bad_no_delimiter.csv"] = "".join(f"just some words on line {i}\n" for i in range(20))
    files["bad_binary_junk.csv"] = bytes(rng.integers(0, 256, size=2048, dtype=np.uint8)) + b"\x00\x00"
    files["bad_huge_value.csv"] = table(["x1", "x2", "label"],
                                        [[1e300 if i == 3 else n[0], n[1], i % 2] for i, n in enumerate(numbers)])
    files["bad_duplicate_columns.csv"] = table(["x1", "x1", "label"], [[*n, i % 2] for i, n in enumerate(numbers)])
    rows = table(["x1", "x2", "label"], [[*n, i % 2] for i, n in enumerate(numbers)]).splitlines()
    rows[4] += ",7,8"  # line 5 has two extra fields
    files["bad_ragged_rows.csv"] = "\n".join(rows) + "\n"
    files["bad_one_row.csv"] = "x1,x2,label\n0.5,1.5,1\n"
    files["bad_target_all_missing.csv"] = table(["x1", "x2", "label"], [[*n, None] for n in numbers])
    files["bad_single_member_class.csv"] = table(["x1", "x2", "label"],
                                                 [[*n, "c" if i == 0 else "ab"[i % 2]] for i, n in enumerate(numbers)])
    files["bad_every_row_has_a_gap.csv"] = table(["x1", "x2", "label"],
                                                 [[None, n[1], 0] if i % 2 else [n[0], None, 1]
                                                  for i, n in enumerate(numbers)])
    files["bad_control_characters.csv"] = bytes(rng.integers(1, 32, size=512, dtype=np.uint8))
    files["bad_unbalanced_quote.csv"] = 'x1,x2,label\n1,"2,0\n3,4,1\n' + "5,6,0\n" * 12
    files["bad_whitespace_only.csv"] = "\n\n   \n\t\n"
    files["bad_text_regression_target.csv"] = table(["x1", "x2", "label"],
                                                    [[*n, f"t{i}"] for i, n in enumerate(numbers)])
    # Latin-1 (not UTF-8) header and values: read as Latin-1 text, so it loads.
    files["latin1_header.csv"] = table(["température", "poids", "catégorie"],
                                       [[*n, "élevé" if i % 2 else "bas"] for i, n in enumerate(numbers)]
                                       ).encode("latin-1")

    # Valid: classification with a 3-level text feature and 3 rows with gaps; regression, semicolon-separated.
    X = rng.normal(size=(60, 2))
    colours = np.array(["red", "green", "blue"])[rng.integers(0, 3, size=60)]
    species = np.where(X[:, 0] + X[:, 1] > 0, "setosa", "versicolor")
    rows = [[round(float(a), 4), round(float(b), 4), c, s] for (a, b), c, s in zip(X, colours, species, strict=True)]
    for i in (5, 17, 40):
        rows[i][i % 2] = None
    files["good_classification.csv"] = table(["length", "width", "colour", "species"], rows)
    X = rng.uniform(-2, 2, size=(80, 3))
    y = 3 * X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.normal(size=80)
    files["good_regression.csv"] = "a;b;c;target\n" + "".join(
        f"{a:.4f};{b:.4f};{c:.4f};{t:.4f}\n" for (a, b, c), t in zip(X, y, strict=True))

    files.update(hostile_files())
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)


def hostile_files() -> dict[str, str]:
    """Files that once got past the reader with another exception than a ValueError, or kept it busy."""
    rng = np.random.default_rng(1)  # its own generator: the files above stay byte for byte the same
    numbers = [[round(float(a), 3), round(float(b), 3)] for a, b in rng.normal(size=(30, 2))]
    files = {}
    # Line and paragraph separators (U+2028, U+2029) and NEL (U+0085) are line breaks to str.splitlines, never to
    # pandas: the header check split this header elsewhere than pandas did, and "x\u2028" and "x" became the same
    # name once stripped (choosing it as the target crashed the Arena); "\u2029" and "\x85" became empty names.
    rows = [[*n, n[0] - n[1], i % 2] for i, n in enumerate(numbers)]
    files["bad_unicode_separator_duplicate.csv"] = table(["x1", "x2\u2028", "x2", "label"], rows)
    files["bad_unicode_separator_empty.csv"] = table(["x1", "x2\u2029", "\x85", "label"], rows)
    # csv.Sniffer ran on 64 KB when commas did not split the header; on this it takes half a minute or more.
    files["bad_sniffer_quadratic.csv"] = ';"' * 32768
    # The first data row wider than the header: pandas built every column of it before refusing.
    files["bad_wide_row.csv"] = "x1,x2,label\n" + "0," * 20_000 + "0\n" + "".join(f"{a},{b},{i % 2}\n" for i, (a, b)
                                                                               in enumerate(numbers))
    # 600 classes of 5 rows: it trained, but no format stores a network with more than MAX_CLASSES (512) outputs.
    files["bad_many_classes.csv"] = table(["x", "label"], [[round(float(v), 2), f"c{i // 5}"]
                                                           for i, v in enumerate(rng.normal(size=3000))])
    # A European spreadsheet's export: semicolons between fields, decimal commas in numbers.
    X = rng.normal(size=(40, 2))
    files["good_european_decimal_comma.csv"] = "Länge;Breite;Klasse\n" + "".join(
        f"{a:.3f};{b:.3f};{'ja' if a + b > 0 else 'nein'}\n".replace(".", ",") for a, b in X)
    return files


if __name__ == "__main__":
    main()
