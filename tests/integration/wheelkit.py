"""Wheels, sdists and a PEP 503 index made by the tests themselves (there is
no PyPI here): pure wheels, native wheels holding a real ELF extension
(gcc for x86_64; a minimal hand-made ELF64 header with EM_AARCH64 for
aarch64, which the doctor and pip need no more of), sdists with an in-tree
PEP 517 backend (so pip builds them offline, with build isolation, with no
setuptools), and an index served by http.server on 127.0.0.1."""
import base64
import functools
import hashlib
import http.server
import io
import os
import re
import shutil
import struct
import subprocess
import tarfile
import tempfile
import threading
import zipfile

EM_X86_64, EM_AARCH64 = 62, 183


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def minimal_elf(machine):
    """An ELF64 shared-object header and nothing else: e_machine is what a
    foreign-architecture .so is checked for."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0)


def gcc_so(code, extra=(), workdir=None):
    """A real x86_64 shared object from C source, or None without gcc."""
    gcc = shutil.which("gcc")
    if not gcc:
        return None
    d = workdir or tempfile.mkdtemp()
    src, out = os.path.join(d, "x.c"), os.path.join(d, "x.so")
    with open(src, "w") as f:
        f.write(code)
    subprocess.run([gcc, "-shared", "-fPIC", "-O1", "-o", out, src, *extra], check=True,
                   capture_output=True)
    with open(out, "rb") as f:
        return f.read()


def glibc_238_so(workdir):
    """A .so needing GLIBC_2.38 from libc.so.6: linked against a stub
    libc.so.6 whose version script defines that version node."""
    os.makedirs(workdir, exist_ok=True)
    stub = os.path.join(workdir, "stub")
    os.makedirs(stub, exist_ok=True)
    with open(os.path.join(workdir, "v.map"), "w") as f:
        f.write("GLIBC_2.38 { global: lamb_future_symbol; local: *; };\n")
    with open(os.path.join(workdir, "stub.c"), "w") as f:
        f.write("int lamb_future_symbol(void) { return 0; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libc.so.6",
                    "-Wl,--version-script=" + os.path.join(workdir, "v.map"), "-o",
                    os.path.join(stub, "libc.so.6"), os.path.join(workdir, "stub.c")],
                   check=True, capture_output=True)
    with open(os.path.join(workdir, "use.c"), "w") as f:
        f.write("int lamb_future_symbol(void);\nint use(void) { return lamb_future_symbol(); }\n")
    out = os.path.join(workdir, "needs238.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-nostdlib", "-o", out, os.path.join(workdir, "use.c"),
                    os.path.join(stub, "libc.so.6")], check=True, capture_output=True)
    with open(out, "rb") as f:
        return f.read()


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_bytes(name, version, tag, files):
    """A wheel: files is {path: bytes}; tag 'py3-none-any' or 'cp312-cp312-manylinux2014_aarch64'."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    files = dict(files)
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    files[f"{dist}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: lamb-tests\nRoot-Is-Purelib: "
                              f"{'true' if tag.endswith('none-any') else 'false'}\nTag: {tag}\n").encode()
    record = [_record_line(p, d) for p, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p, d in files.items():
            z.writestr(p, d)
    return buf.getvalue()


BACKEND = '''"""An in-tree PEP 517 backend: a wheel from pkg/ with no setuptools; with
NATIVE set it compiles ext.c into an extension for this interpreter."""
import base64, hashlib, os, subprocess, sys, sysconfig, zipfile
NAME, VERSION, NATIVE = {name!r}, {version!r}, {native!r}

def _rec(p, d):
    h = base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (p, h, len(d))

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {{}}
    for dp, _, fs in os.walk(NAME):
        for f in fs:
            p = os.path.join(dp, f)
            files[p.replace(os.sep, "/")] = open(p, "rb").read()
    tag = "py3-none-any"
    if NATIVE:
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        out = os.path.join(NAME, "_ext" + suffix)
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", out, "ext.c"], check=True)
        files[NAME + "/_ext" + suffix] = open(out, "rb").read()
        v = "cp%d%d" % sys.version_info[:2]
        tag = "%s-%s-linux_%s" % (v, v, os.uname().machine)
    dist = "%s-%s.dist-info" % (NAME, VERSION)
    files[dist + "/METADATA"] = ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode()
    files[dist + "/WHEEL"] = ("Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: %s\\nTag: %s\\n"
                              % ("false" if NATIVE else "true", tag)).encode()
    rec = [_rec(p, d) for p, d in files.items()] + [dist + "/RECORD,,"]
    files[dist + "/RECORD"] = ("\\n".join(rec) + "\\n").encode()
    whl = "%s-%s-%s.whl" % (NAME, VERSION, tag)
    with zipfile.ZipFile(os.path.join(wheel_directory, whl), "w") as z:
        for p, d in files.items():
            z.writestr(p, d)
    return whl
'''


def sdist_bytes(name, version, native):
    """An sdist built by BACKEND: pure, or with a C extension."""
    top = f"{name}-{version}"
    files = {
        "pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "lamb_backend"\n'
                           'backend-path = ["."]\n'),
        "lamb_backend.py": BACKEND.format(name=name, version=version, native=native),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
    }
    if native:
        files["ext.c"] = "int lamb_ext(void) { return 42; }\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for p, d in files.items():
            data = d.encode()
            info = tarfile.TarInfo(f"{top}/{p}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Index:
    """A PEP 503 simple index of the files added, served on 127.0.0.1."""

    def __init__(self, root):
        self.root = root
        self.files = {}  # project -> [filename]
        os.makedirs(os.path.join(root, "files"), exist_ok=True)
        self.server = None

    def add(self, project, filename, data):
        with open(os.path.join(self.root, "files", filename), "wb") as f:
            f.write(data)
        self.files.setdefault(norm(project), []).append(filename)

    def _write_pages(self):
        simple = os.path.join(self.root, "simple")
        os.makedirs(simple, exist_ok=True)
        links = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(self.files))
        with open(os.path.join(simple, "index.html"), "w") as f:
            f.write(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
        for p, names in self.files.items():
            os.makedirs(os.path.join(simple, p), exist_ok=True)
            a = "".join(f'<a href="../../files/{n}">{n}</a>\n' for n in names)
            with open(os.path.join(simple, p, "index.html"), "w") as f:
                f.write(f"<!DOCTYPE html><html><body>\n{a}</body></html>\n")

    def start(self):
        self._write_pages()
        handler = functools.partial(Quiet, directory=self.root)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/simple"

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
