"""Running one `mlimpact` command in-process from a test, on a database URL."""

from __future__ import annotations

import json

from mlimpact.cli import main


def command_runner(command: str):
    """`run(capsys, url, *args)` → (exit status, stdout, stderr) and `as_json(capsys, url, *args)` → the
    parsed `--format json` output (which must exit 0), for `mlimpact <command> … --db url`."""

    def run(capsys, url, *args) -> tuple[int, str, str]:
        code = main([command, *args, "--db", url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    def as_json(capsys, url, *args) -> dict:
        code, out, err = run(capsys, url, *args, "--format", "json")
        assert code == 0, err
        return json.loads(out)

    return run, as_json
