/* Pythons that a version manager installed but PATH does not run: pyenv's
 * versions ($PYENV_ROOT, else ~/.pyenv) and asdf's ($ASDF_DATA_DIR, else
 * ~/.asdf). pyenv puts a python3.12 shim on PATH that refuses to run while
 * another version is selected; the interpreter behind it is still there,
 * and it is the one a python3.12 function should run with and have its
 * requirements installed by. lamb local invoke and lamb build both ask
 * here, after PATH and before falling back to python3.
 *
 * The `py -3.12` launcher of Unix (python-launcher) looks for python3.12 on
 * PATH only, which lamb searches already: it adds nothing here. */
#ifndef LAMB_BASE_PYVERSIONS_H
#define LAMB_BASE_PYVERSIONS_H

/* The newest CPython 3.minor a version manager installed, as the path of
 * its bin/python3.minor (allocated), or NULL. Only release directories
 * count ("3.12.1"): not "3.12-dev", nor "3.13.0t" (free-threaded, another
 * ABI), nor a virtualenv's name. */
char *lamb_python_installed(int minor);

/* N of "python3.N" (a runtime or build method); -1 when it is not one. */
int lamb_python_minor(const char *runtime);

/* The subject of the warning that python3.N falls back to python3, the
 * same for lamb build and lamb local (lamb_warn_first); allocated. */
char *lamb_python_fallback_key(const char *runtime);

#endif
