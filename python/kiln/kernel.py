"""A Jupyter kernel that finds kiln: `python3 -m kiln.kernel install`.

Debian's own `python3` kernel runs /usr/bin/python3 with its own path, so a
kiln built in build/python (or installed in a venv) is invisible to it.
This writes a kernelspec named "kiln" that runs this interpreter (the one
running the command) with PYTHONPATH set to where this kiln was found:

    python3 -m kiln.kernel install --user          # ~/.local/share/jupyter
    python3 -m kiln.kernel install --sys-prefix    # the venv's share/jupyter
    python3 -m kiln.kernel install --prefix DIR    # DIR/share/jupyter
    python3 -m kiln.kernel install --load-ext ...  # sc and spark in every notebook

`jupyter kernelspec list` then shows it, and the notebook's Kernel menu
offers "Python 3 (kiln)".
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

__all__ = ["kernel_spec", "install", "main"]

KERNEL_NAME = "kiln"


def package_path():
    """The directories that make `import kiln` work here: the one holding the
    extension module _kiln and the one holding the kiln package."""
    import _kiln
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = [os.path.dirname(os.path.abspath(_kiln.__file__)), os.path.dirname(here)]
    out = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def kernel_spec(display_name="Python 3 (kiln)", load_ext=False, master=None):
    """The kernel.json of the kiln kernel, as a dict."""
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if load_ext:
        argv.append("--ext=kiln")
    env = {"PYTHONPATH": os.pathsep.join(package_path())}
    if master:
        env["KILN_MASTER"] = master
    return {"argv": argv, "display_name": display_name, "language": "python", "env": env,
            "metadata": {"debugger": False}}


def install(user=False, prefix=None, name=KERNEL_NAME, display_name="Python 3 (kiln)",
            load_ext=False, master=None):
    """Installs the kernelspec (jupyter_client's KernelSpecManager: the
    system's data dir, --user's or PREFIX/share/jupyter); returns its dir."""
    from jupyter_client.kernelspec import KernelSpecManager
    spec = kernel_spec(display_name, load_ext, master)
    tmp = tempfile.mkdtemp(prefix="kiln-kernel-")
    try:
        with open(os.path.join(tmp, "kernel.json"), "w") as f:
            json.dump(spec, f, indent=1)
        return KernelSpecManager().install_kernel_spec(tmp, name, user=user, prefix=prefix)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    """The command line: install [--user | --sys-prefix | --prefix DIR]."""
    ap = argparse.ArgumentParser(prog="python3 -m kiln.kernel",
                                 description="Installs the Jupyter kernel that finds kiln.")
    sub = ap.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="install the kernelspec")
    where = inst.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for this user only")
    where.add_argument("--sys-prefix", action="store_true",
                       help="into sys.prefix (a venv's share/jupyter)")
    where.add_argument("--prefix", help="into PREFIX/share/jupyter/kernels")
    inst.add_argument("--name", default=KERNEL_NAME, help="the kernel's name (default kiln)")
    inst.add_argument("--display-name", default="Python 3 (kiln)")
    inst.add_argument("--load-ext", action="store_true",
                      help="load the kiln extension in every notebook (sc, spark)")
    inst.add_argument("--master", help="KILN_MASTER for the kernel (default local[*])")
    sub.add_parser("spec", help="print the kernel.json")
    args = ap.parse_args(argv)
    if args.command == "spec":
        print(json.dumps(kernel_spec(), indent=1))
        return 0
    prefix = sys.prefix if args.sys_prefix else args.prefix
    path = install(user=args.user, prefix=prefix, name=args.name,
                   display_name=args.display_name, load_ext=args.load_ext, master=args.master)
    print("Installed kernelspec %s in %s" % (args.name, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
