"""Command line of the pack generator: `python -m hub.ops.packgen [--check] [--out DIR]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hub.ops.packgen.output import (
    FIXTURES_DIR,
    SCHEMAS_DIR,
    check,
    fixture_files,
    schema_files,
    write,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.ops.packgen",
        description="Write (or verify) the schema packs under hub/schemas and their fixtures.",
    )
    parser.add_argument(
        "--check", action="store_true", help="verify the files on disk, write nothing"
    )
    parser.add_argument(
        "--out", type=Path, default=SCHEMAS_DIR, help=f"schemas root (default {SCHEMAS_DIR})"
    )
    parser.add_argument(
        "--fixtures",
        type=Path,
        default=FIXTURES_DIR,
        help=f"fixtures root (default {FIXTURES_DIR})",
    )
    parser.add_argument("--no-fixtures", action="store_true", help="leave the fixtures alone")
    args = parser.parse_args(argv)

    targets = [(args.out, schema_files())]
    if not args.no_fixtures:
        targets.append((args.fixtures, fixture_files()))

    if args.check:
        problems = [line for root, files in targets for line in check(root, files)]
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("run `python -m hub.ops.packgen` to regenerate", file=sys.stderr)
            return 1
        print(f"ok: {sum(len(files) for _, files in targets)} files up to date")
        return 0

    changed = [path for root, files in targets for path in write(root, files)]
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
