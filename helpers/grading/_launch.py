"""Start a grading kernel inside a private mount and PID namespace (run by :mod:`.sandbox`).

Usage (as root, under ``unshare --mount --pid --fork --kill-child --mount-proc``)::

    python -I -S _launch.py SPEC_JSON -- KERNEL_COMMAND...

The standard library only, and no import of ``helpers`` (this file is run as a script). In order:

1. open what must stay reachable (the folders to keep, the kernel's working folder, the connection
   file), while their paths still lead to them;
2. cover ``/tmp`` and ``/dev/shm`` with fresh tmpfs (other graders' files vanish) and copy the
   working folder and the connection file into ``/tmp/grading``;
3. cover every hidden folder with an empty tmpfs and every hidden file with ``/dev/null``, then
   bring back the folders to keep inside them (the virtual environment, ``helpers/``), read-only;
4. make every other mount read-only, so the kernel cannot change the course, the environment or
   the system for later notebooks;
5. drop every capability (``setpriv``; and the uid, to ``nobody``, when asked), so the kernel can
   neither undo these mounts nor regain privileges, and exec the kernel in ``/tmp/grading``.
"""

import ctypes
import json
import os
import shutil
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 0x20, 0x400, 0x800, 0x1000
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 0x4000, 0x40000, 0x200000, 0x1000000
_OPTION_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                 "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
SCRATCH = "/tmp"
WORK = "/tmp/grading"
# Mounts that stay as they are: the kernel's own proc, devices, and the writable scratch.
_LEAVE = ("/proc", "/sys", "/dev", SCRATCH)

_libc = ctypes.CDLL(None, use_errno=True)


def _encode(text):
    return None if text is None else text.encode()


def _mount(source, target, fstype, flags, data=None):
    encode = _encode
    if _libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {target}: {os.strerror(error)}")


def _mounts():
    """(mount point, per-mount flags) of every mount, from /proc/self/mountinfo."""
    found = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            flags = sum(_OPTION_FLAGS.get(o, 0) for o in fields[5].split(","))
            found.append((point, flags))
    return found


def _readonly(point, flags):
    _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)


def _copy_folder(fd, destination, depth=0):
    """Copy the regular files and folders below the open folder ``fd`` to ``destination``."""
    os.makedirs(destination, exist_ok=True)
    for entry in os.scandir(fd):
        if entry.is_symlink() or depth > 8:
            continue
        if entry.is_dir():
            child = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            try:
                _copy_folder(child, os.path.join(destination, entry.name), depth + 1)
            finally:
                os.close(child)
        elif entry.is_file():
            with open(os.open(entry.name, os.O_RDONLY, dir_fd=fd), "rb") as src, \
                    open(os.path.join(destination, entry.name), "wb") as dst:
                shutil.copyfileobj(src, dst)


def _hide(paths, keep_fds):
    """Cover ``paths``; bring back the kept folders below them, read-only."""
    covered = []
    for path in sorted(paths, key=len):
        inside_scratch = path == SCRATCH or path.startswith(SCRATCH + "/")  # fresh already
        if inside_scratch or SCRATCH.startswith(path + "/") or not os.path.lexists(path) or any(
                path.startswith(c + "/") for c in covered):
            continue
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k")
            covered.append(path)
        else:
            _mount("/dev/null", path, None, MS_BIND)
            _readonly(path, 0)
    for path, fd in keep_fds.items():
        if not any(path == c or path.startswith(c + "/") for c in covered):
            continue
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    for path in covered:  # the covers themselves: empty and read-only
        _readonly(path, MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _restore_kept_in_scratch(keep_fds):
    """A course cloned below /tmp: bring back the kept folders (the environment, ``helpers/``) that
    the fresh /tmp covered, read-only; the rest of that course stays out of sight."""
    for path, fd in keep_fds.items():
        if path == SCRATCH or path.startswith(SCRATCH + "/"):
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            _readonly(path, MS_NOSUID | MS_NODEV)


def _everything_readonly():
    for point, flags in _mounts():
        if point in ("/dev/shm",) or any(point == p or point.startswith(p + "/") for p in _LEAVE):
            continue
        try:
            _readonly(point, flags)
        except OSError as error:  # a mount that refuses (rare): say so, go on
            print(f"grading sandbox: could not make {point} read-only ({error})", file=sys.stderr)


def main(argv):
    spec, command = json.loads(argv[1]), argv[3:]
    if argv[2] != "--" or not command:
        raise SystemExit("usage: _launch.py SPEC_JSON -- KERNEL_COMMAND...")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep_fds = {os.path.abspath(p): os.open(p, os.O_PATH) for p in spec["keep"] if os.path.exists(p)}
    source_fd = os.open(spec["source_dir"], os.O_RDONLY | os.O_DIRECTORY)
    with open(spec["connection_file"], "rb") as handle:
        connection = handle.read()
    copies = {}
    for name, folder in spec.get("copy", {}).items():
        if os.path.isdir(folder):
            copies[name] = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)

    for point in (SCRATCH, "/dev/shm"):
        if os.path.isdir(point):
            _mount("tmpfs", point, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    _restore_kept_in_scratch(keep_fds)
    _copy_folder(source_fd, WORK)
    for name, fd in copies.items():
        _copy_folder(fd, os.path.join(WORK, name))
    connection_file = os.path.join(WORK, ".kernel-connection.json")
    with open(os.open(connection_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(connection)

    _hide(spec["hide"], keep_fds)
    _everything_readonly()
    for fd in list(keep_fds.values()) + [source_fd] + list(copies.values()):
        os.close(fd)

    user = spec.get("user")
    if user:
        for folder, _, files in os.walk(WORK):
            for path in [folder] + [os.path.join(folder, f) for f in files]:
                os.chown(path, user["uid"], user["gid"])
    os.chdir(WORK)
    env = dict(os.environ, **{key: value.replace("{work}", WORK) for key, value in spec.get("env", {}).items()})
    command = [part.replace(spec["connection_file"], connection_file) for part in command]
    drop = ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    if user:
        drop += [f"--reuid={user['uid']}", f"--regid={user['gid']}", "--clear-groups"]
    os.execve(spec["setpriv"], [spec["setpriv"], *drop, "--", *command], env)


if __name__ == "__main__":
    main(sys.argv)
