"""lamb's Python runtime: what lamb runs, as `pythonX.Y -S bootstrap.py [LAYER ...]` with the
code dir as cwd. The shim itself is lamb_runtime.py, beside this file (sys.path[0]), imported
rather than run: Python compiles the script it runs on every start, and compiling the shim's
32 KB took 47 million instructions (about 10 ms) of every cold start, a third more than the
whole bare interpreter's start; a module's bytecode is cached in __pycache__, which lamb
fills where the instance cannot write (the sandbox's read-only view of this directory)."""
import lamb_runtime

lamb_runtime.main()
