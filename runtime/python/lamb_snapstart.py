"""SnapStart by fork, the runtime's half (lamb's engine/snapstart.c is the other; its comment has
the protocol). After the function's init, the snapshot runs the before-snapshot hooks, says what
Lambda would not snapshot safely, and waits on its stdin (a socket to lamb) for requests to fork.
Each child becomes one instance: its own session, stdout and stderr, /tmp (in lamb's sandbox), and
Runtime API; it tells lamb its pid, waits to be adopted (its cgroup joined), runs the after-restore
hooks and returns to the shim's invoke loop. Imported only by SnapStart functions."""
import ctypes
import gc
import os
import signal
import socket
import stat
import struct
import sys

import snapshot_restore_py

LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_NOSUID, MS_NODEV = 2, 4
random_at_start = None


def control():
    """lamb's socket on fd 0, or None when this runtime was not started as a snapshot."""
    try:
        if stat.S_ISSOCK(os.fstat(0).st_mode):
            return socket.socket(fileno=0)
    except OSError:
        pass
    return None


def note_start():
    """The random module's state before the function's code runs, to tell whether init used it."""
    global random_at_start
    import random
    random_at_start = random.getstate()


def run_hooks(hooks):
    for func, args, kwargs in hooks:
        func(*args, **kwargs)


def warn(text):
    sys.stderr.write("lamb: SnapStart: %s\n" % text)


def socket_inodes():
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def hex_address(text):
    address, port = text.split(":")
    raw = bytes.fromhex(address)
    if len(raw) == 4:
        return "%s:%d" % (".".join(str(b) for b in raw[::-1]), int(port, 16))
    return "[%s]:%d" % (raw.hex(), int(port, 16))


def open_connections():
    """The established TCP connections this process holds (/proc/net/tcp, state 01)."""
    inodes = socket_inodes()
    found = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "01" and cols[9] in inodes:
                found.append(hex_address(cols[2]))
    return found


def seeded_generators():
    """Random generators that init made or drew from: each restored instance would start from
    the same state on Lambda, and draw the same numbers."""
    found = []
    random = sys.modules.get("random")
    if random is not None and random_at_start is not None and random.getstate() != random_at_start:
        found.append("init seeded or drew from the random module's generator")
    numpy_global = getattr(sys.modules.get("numpy.random.mtrand"), "_rand", None)
    kinds = set()
    for obj in gc.get_objects():
        t = type(obj)  # the type, not obj.__class__: a proxy's may raise
        name = "%s.%s" % (getattr(t, "__module__", ""), getattr(t, "__qualname__", ""))
        # SystemRandom draws from os.urandom: the same in no two instances
        if random is not None and issubclass(t, random.Random) and obj is not random._inst \
                and not issubclass(t, random.SystemRandom):
            kinds.add("init made a random.Random object")
        elif name in ("numpy.random._generator.Generator", "numpy.random.mtrand.RandomState") \
                and obj is not numpy_global:
            kinds.add("init made a numpy %s" % t.__qualname__)
    return found + sorted(kinds)


def check_snapshot():
    """Lambda's advice ("Handling uniqueness" and "networking" with SnapStart): no connection
    open at snapshot time, no randomness seeded in init. Said, not refused."""
    for peer in open_connections():
        warn("a network connection to %s is open at snapshot time: on Lambda every restored "
             "instance gets it closed; open it in an after-restore hook or in the handler" % peer)
    for what in seeded_generators():
        warn("%s: on Lambda every instance restored from the snapshot draws the same numbers; "
             "seed generators in an after-restore hook (or use secrets/os.urandom)" % what)


def reap(signum, frame):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        try:
            CONTROL.send(b"exit %d %d" % (pid, status))
        except OSError:
            pass


CONTROL = None


def serve(sock):
    """Takes the snapshot's requests until lamb closes the socket; returns in each child, with its
    Runtime API's address."""
    global CONTROL
    CONTROL = sock
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGCHLD, reap)
    sock.send(b"ready")
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 256, 3)
        except InterruptedError:
            continue
        if not msg:
            os._exit(0)
        parts = msg.decode().split()
        if parts[0] != "fork" or len(fds) != 3 or len(parts) != 3:
            for fd in fds:
                os.close(fd)
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            return become_instance(sock, fds, parts[1], parts[2] == "1")
        for fd in fds:
            os.close(fd)


def own_tmp():
    """A /tmp and /var/tmp of the instance's own: a user namespace below the snapshot's (mapping
    its one uid to itself) holds the capability to mount them, dropped at once after."""
    uid, gid = os.getuid(), os.getgid()
    if LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    for path, text in (("setgroups", "deny"), ("uid_map", "%d %d 1" % (uid, uid)),
                       ("gid_map", "%d %d 1" % (gid, gid))):
        with open("/proc/self/" + path, "w") as f:
            f.write(text)
    for path in (b"/tmp", b"/var/tmp"):
        if LIBC.mount(b"tmpfs", path, b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=1777") != 0:
            raise OSError(ctypes.get_errno(), "mount %s" % path.decode())
    for cap in range(64):
        LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    header = ctypes.create_string_buffer(struct.pack("Ii", 0x20080522, 0))
    data = ctypes.create_string_buffer(24)
    if LIBC.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def become_instance(sock, fds, address, private_tmp):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    out, err, ctl = fds
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(out)
    os.close(err)
    sock.close()
    null = os.open("/dev/null", os.O_RDONLY)
    if null != 0:
        os.dup2(null, 0)
        os.close(null)
    if private_tmp:
        try:
            own_tmp()
        except OSError as e:
            warn("no /tmp of its own for this instance (%s): it shares the snapshot's" % e)
    lamb = socket.socket(fileno=ctl)
    lamb.send(b"pid %d" % os.getpid())
    if lamb.recv(16) != b"go":
        os._exit(1)
    lamb.close()
    os.environ["AWS_LAMBDA_RUNTIME_API"] = address
    return address


def snapshot(sock, post_init_error):
    """Before-snapshot hooks (reverse order of registration), checks, then serve()."""
    try:
        run_hooks(reversed(snapshot_restore_py.get_before_snapshot()))
    except Exception as e:
        post_init_error(e)
    check_snapshot()
    return serve(sock)


def restored(post_init_error):
    """After-restore hooks, in the order of registration."""
    try:
        run_hooks(snapshot_restore_py.get_after_restore())
    except Exception as e:
        post_init_error(e)
