"""python -m services.dispatch.contract [--check]"""

import argparse
import sys

from services.dispatch.contract.render import ROOT, render, stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report files that are not current")
    args = parser.parse_args()
    files = render()
    outdated = [path for path, text in files.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in [*outdated, *stale()]:
            print(f"not current: {path.relative_to(ROOT)}")
        return 1 if outdated or stale() else 0
    for path in stale():
        path.unlink()
        print(f"removed {path.relative_to(ROOT)}")
    for path in outdated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
