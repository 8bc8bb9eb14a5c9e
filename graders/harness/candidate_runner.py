"""Runs in the candidate process (unprivileged in the Docker backend). Serves calls from the harness.

Started as `python3 -I candidate_runner.py REQ_FD RESP_FD WORKDIR LIBDIR`; -I keeps PYTHON*
variables, user site-packages and the script's folder out of sys.path, so nothing planted in the
work dir (sitecustomize.py, conftest.py) loads before the candidate's module does.
"""

import importlib
import os
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402  (our own module, imported before the candidate's folders join sys.path)

sys.path.remove(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    req_fd, resp_fd, workdir, libdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    init = wire.read_frame(req_fd)
    files = wire.decode(init["files"])
    allowed = set(init["modules"])
    # A folder of our own (0700, our uid): the shared parent may be unlistable to us (the reference's
    # is 1733 so the candidate cannot find it), and Python's import system must list its folder.
    workdir = tempfile.mkdtemp(prefix="w", dir=workdir)
    for name, data in files.items():
        if "/" in name or name.startswith("."):
            continue  # flat names only: the candidate's files live directly in the work dir
        with open(os.path.join(workdir, name), "wb") as fh:
            fh.write(data)
    os.chdir(workdir)
    sys.path[:0] = [workdir, libdir]
    staged: dict = {}
    wire.write_frame(resp_fd, {"ok": True, "value": None})
    while True:
        try:
            msg = wire.read_frame(req_fd)
        except EOFError:
            return
        try:
            op = msg["op"]
            if op == "stage":
                staged[msg["key"]] = wire.decode(msg["value"])
                reply = {"ok": True, "value": None}
            elif op == "call":
                if msg["module"] not in allowed:
                    raise ImportError(f"module {msg['module']!r} is not callable from the tests")
                func = getattr(importlib.import_module(msg["module"]), msg["name"])
                if "ref" in msg:
                    args, kwargs = staged[msg["ref"]]
                else:
                    args, kwargs = wire.decode(msg["args"]), wire.decode(msg["kwargs"])
                value = func(*args, **kwargs)
                # A timed call's value is not sent back (the benchmark checked the outputs on untimed calls): what
                # is timed is the candidate's compute, not the cost of moving its output between processes.
                reply = {"ok": True, "value": None if msg.get("discard") else wire.encode(value)}
            else:
                raise ValueError(f"unknown op {op!r}")
        except BaseException as exc:  # noqa: BLE001 - every failure is reported, none ends the loop
            if isinstance(exc, KeyboardInterrupt):
                raise
            reply = {"ok": False, "error": {
                "type": type(exc).__name__,
                "message": str(exc)[:2000],
                "traceback": traceback.format_exc()[-4000:],
                "where": _where(exc, workdir),
            }}
        sys.stdout.flush()
        sys.stderr.flush()
        wire.write_frame(resp_fd, reply)


def _where(exc: BaseException, workdir: str) -> dict | None:
    """The candidate's own file and line the error points at (for the editor to show): a SyntaxError's line, or
    the innermost frame of the traceback that is in the candidate's files (not torch's, not ours)."""
    if isinstance(exc, SyntaxError) and exc.filename and os.path.dirname(os.path.abspath(exc.filename)) == workdir:
        return {"file": os.path.basename(exc.filename), "line": exc.lineno}
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and os.path.dirname(os.path.abspath(frame.filename)) == workdir:
            found = {"file": os.path.basename(frame.filename), "line": frame.lineno}
    return found


if __name__ == "__main__":
    main()
