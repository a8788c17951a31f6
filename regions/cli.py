"""The ``regions`` command line, thin over the public API.

Commands
    ``regions demo``: the course exercise's two MLPs, exact region counts in
    [-10, 10]^2, each result verified.
    ``regions count MODEL``: the exact region count of a model file.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

__all__ = ["main", "demo"]


def demo(out: TextIO | None = None) -> int:
    """Print the exact region counts of the course's two MLPs.

    Parameters
    ----------
    out : file-like, optional
        Where to print (default ``sys.stdout``).

    Returns
    -------
    int
        Exit status (0).
    """
    from .course import SEED, deep_model, shallow_model
    from .engine import linear_regions

    stream = out if out is not None else sys.stdout

    def say(*args: object) -> None:
        print(*args, file=stream)

    bbox = (-10.0, -10.0, 10.0, 10.0)
    say(f"regions demo: the course exercise's MLPs (torch default init, seed {SEED})")
    say(f"domain: [{bbox[0]:g}, {bbox[2]:g}] x [{bbox[1]:g}, {bbox[3]:g}]")
    say("")
    say(f"{'model':<16}{'params':>8}{'regions':>9}  {'after each layer':<24}{'seconds':>9}  verify")
    for name, model in (("2-20-1", shallow_model()), ("2-5-5-5-5-1", deep_model())):
        params = sum(p.numel() for p in model.parameters())
        t0 = time.perf_counter()
        p = linear_regions(model, bbox)
        dt = time.perf_counter() - t0
        p.verify()
        layers = ", ".join(str(c) for c in p.layer_counts)
        say(f"{name:<16}{params:>8}{len(p):>9}  {layers:<24}{dt:>9.3f}  ok")
    say("")
    say("One hidden layer of n neurons has at most 1 + n + n(n-1)/2 regions: 211 for n = 20.")
    return 0


def count(args: argparse.Namespace) -> int:
    """Print the exact region count of a model file (``regions count``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status (0).
    """
    import json

    from .engine import linear_regions
    from .io import load_model

    arch = [int(v) for v in args.arch.split(",")] if args.arch else None
    model = load_model(args.model, arch=arch, trust_pickle=args.trust_pickle)
    t0 = time.perf_counter()
    p = linear_regions(model, tuple(args.bbox), method=args.method)
    dt = time.perf_counter() - t0
    if args.verify:
        p.verify()
    if args.json:
        print(
            json.dumps(
                {
                    "model": str(args.model),
                    "bbox": list(args.bbox),
                    "regions": len(p),
                    "layer_counts": p.layer_counts,
                    "method": args.method,
                    "seconds": round(dt, 6),
                    "verified": bool(args.verify),
                }
            )
        )
    else:
        print(len(p))
    return 0


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    ap = argparse.ArgumentParser(
        prog="regions",
        description="Exact linear regions of ReLU networks over a 2-D domain.",
        epilog="example: regions demo",
    )
    ap.add_argument("--version", action="version", version=f"regions {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo",
        help="exact region counts of the course exercise's two MLPs",
        description="Build the course's 2-20-1 and 2-5-5-5-5-1 MLPs (fixed seed) and print "
        "their exact region counts in [-10, 10]^2, each verified.",
        epilog="example: regions demo",
    )
    d.set_defaults(func=lambda _a: demo())
    c = sub.add_parser(
        "count",
        help="exact region count of a model file",
        description="Count the linear regions of a model file exactly. MODEL is a state_dict "
        "(.pt/.pth, read with weights_only=True; the MLP is inferred from the linear layers or "
        "given with --arch), a .safetensors file, or a TorchScript archive.",
        epilog="examples:\n  regions count model.pt\n"
        "  regions count model.pt --bbox -20 -20 20 20 --json\n"
        "  regions count weights.pt --arch 2,20,1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("model", help="model file")
    c.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        default=[-10.0, -10.0, 10.0, 10.0],
        metavar=("XMIN", "YMIN", "XMAX", "YMAX"),
        help="domain (default: -10 -10 10 10)",
    )
    c.add_argument("--arch", help="layer widths of a state_dict, e.g. 2,20,1")
    c.add_argument("--method", choices=["fast", "shapely"], default="fast")
    c.add_argument("--json", action="store_true", help="print a JSON object")
    c.add_argument("--verify", action="store_true", help="check the partition's invariants")
    c.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow a pickled nn.Module (unpickling runs code from the file)",
    )
    c.set_defaults(func=count)
    ap.add_argument("--debug", action="store_true", help="show tracebacks")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 success, 1 error, 2 usage error, 130 interrupted.
    """
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line, no traceback
        if args.debug:
            raise
        print(f"regions: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
