"""Operator commands: ``python -m chalicelib.manage migrate`` (the deploy step runs the same), ``bootstrap``,
``redrive [--limit N]`` (reprocess the records parked in the dead-letter queue, each once)."""
from __future__ import annotations

import argparse
import json
import sys

from .bootstrap import prepare
from .db import get_db
from .db.migrations import migrate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chalicelib.manage")
    p.add_argument("command", choices=["migrate", "bootstrap", "redrive"])
    p.add_argument("--limit", type=int, default=None, help="redrive: at most this many messages")
    p.add_argument("--password-file", default="admin-password",
                   help="bootstrap: where a generated first-admin password is written (mode 0600)")
    args = p.parse_args(argv)
    if args.command == "redrive":
        from .pipeline import redrive

        result = redrive.run(args.limit)
        print(json.dumps(result))
        return 1 if result["left_by_outage"] else 0
    if args.command == "migrate":
        print(json.dumps({"migrations_applied": migrate(get_db())}))
    else:
        result = prepare()
        if result["admin_password_generated"]:
            from pathlib import Path

            from .bootstrap import write_private

            pw_file = Path(args.password_file).resolve()
            write_private(pw_file, result["admin_password_generated"] + "\n")
            print(f"First admin: user 'admin', password in {pw_file} (mode 0600; delete it after the first login)",
                  file=sys.stderr)
        print(json.dumps({"migrations_applied": result["migrations_applied"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
