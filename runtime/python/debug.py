"""lamb's Python shim under debugpy (lamb local invoke -d PORT): listen on
127.0.0.1:PORT, wait for the debugger, then run the shim (bootstrap.py) in
this process, so that breakpoints in the handler and its module's init
hold, and stay set across the warm instance's invocations.

usage: python -S debug.py DEBUGPY_DIR PORT SHIM [LAYER ...]"""
import runpy
import sys

debugpy_dir, port, shim = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# debugpy (and what it imports as it goes: Debian's needs bytecode) comes
# from the host's packages, last on sys.path: the function's own win
sys.path.append(debugpy_dir)
import debugpy  # noqa: E402

debugpy.listen(("127.0.0.1", port))
print(f"lamb: debugpy listens on 127.0.0.1:{port}; waiting for the debugger to attach",
      file=sys.stderr, flush=True)
debugpy.wait_for_client()
sys.argv = [shim, *sys.argv[4:]]
runpy.run_path(shim, run_name="__main__")
