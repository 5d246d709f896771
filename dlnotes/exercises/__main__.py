"""Command line: ``python -m dlnotes.exercises export SRC_DIR OUT_DIR`` (``make student``)."""

from __future__ import annotations

import argparse
import sys

from .export import export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlnotes.exercises", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_export = sub.add_parser("export", help="write notebooks without solutions")
    p_export.add_argument("src_dir", help="folder with the book's notebooks, e.g. chapters")
    p_export.add_argument("out_dir", help="folder to write the student notebooks into, e.g. student")
    sub.add_parser("list", help="list every exercise id")
    args = parser.parse_args(argv)
    if args.command == "export":
        try:
            paths = export(args.src_dir, args.out_dir)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        print(f"wrote {len(paths)} student notebook(s) to {args.out_dir}")
        return 0
    from . import registry

    for ex_id, ex in registry().items():
        print(f"{ex_id:32s} {ex.kind:8s} {ex.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
