"""``dsmrparse read SOURCE``: live telegrams as JSON lines, one per telegram.

Registered by the ``dsmrparse`` command (cli.py) through :func:`register`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import IO, Any

__all__ = ["register", "run"]

# the exit codes of the dsmrparse command (cli.py)
EXIT_OK = 0
EXIT_USAGE = 2  # a bad option value
EXIT_SOURCE = 3  # the source could not be opened, or gave up
EXIT_MISSING = 4  # pyserial (or websocket-client for ws://) is not installed
EXIT_INTERRUPTED = 130


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "read",
        help="read live telegrams from a serial port, a TCP or HTTP bridge, a file or stdin",
        description=(
            "Read telegrams from SOURCE and write one JSON line per telegram (the interchange "
            "form) to stdout. SOURCE is a device (/dev/ttyUSB0), socket://host:port (or "
            "tcp://host:port), rfc2217://host:port, http://bridge (or a full endpoint URL), "
            "https://host (HomeWizard API v2, with --token), ws://host (DSMR-logger "
            "websocket firmware, port 81), a file, or - for stdin. A malformed SOURCE exits "
            "with 2, a source that cannot be opened (with --retries) with 3. "
            "Lost connections are re-made quietly; what was skipped is logged to stderr."
        ),
    )
    p.add_argument("source", metavar="SOURCE")
    p.add_argument(
        "--count",
        "-n",
        type=int,
        default=None,
        metavar="N",
        help="stop after N telegrams (default: run until the source ends)",
    )
    p.add_argument(
        "--format",
        "-f",
        choices=["jsonl", "raw"],
        default="jsonl",
        help="jsonl: interchange form, one line each (default); raw: the telegram bytes",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="S",
        help="HTTP and ws:// bridges: seconds between polls (default 1)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="connect / HTTP request timeout in seconds (default 10)",
    )
    p.add_argument(
        "--watchdog",
        type=float,
        default=None,
        metavar="S",
        help="reconnect after S seconds without data (default 30; 0 turns it off)",
    )
    p.add_argument(
        "--profile",
        default=None,
        metavar="NAME",
        help="meter family (dsmr4, dsmr5 ...); default: detected per telegram",
    )
    p.add_argument(
        "--gas-channel",
        type=int,
        default=None,
        metavar="N",
        help="MBus channel of the gas meter (default: found by device type)",
    )
    p.add_argument(
        "--serial",
        default=None,
        metavar="SETTING",
        help="auto (default), dsmr2, dsmr4, dsmr4-7e1, dsmr5 or e.g. '9600 7E1'",
    )
    p.add_argument(
        "--seven-bit",
        choices=["auto", "on", "off"],
        default="auto",
        help="mask data to 7 bits (7E1 meter behind an 8-bit bridge); default auto",
    )
    p.add_argument(
        "--request-line",
        choices=["rts", "dtr", "both"],
        default=None,
        help="raise this line of the serial port as the P1 data request",
    )
    p.add_argument(
        "--http",
        choices=["telegram", "json"],
        default=None,
        help="bare http://host: ask for the raw telegram (default) or the JSON data",
    )
    p.add_argument(
        "--token",
        default=None,
        metavar="TOKEN",
        help="HomeWizard API v2: the bearer token (made by pressing the meter's button)",
    )
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--ca", default=None, metavar="FILE", help="https: trust this CA file")
    tls.add_argument(
        "--insecure",
        action="store_true",
        help="https: do not check the certificate (a LAN device's own, self-signed one)",
    )
    p.add_argument("--follow", action="store_true", help="files: keep reading as the file grows")
    p.add_argument(
        "--retries",
        type=int,
        default=None,
        metavar="N",
        help="give up after N failed attempts in a row (default: never once the source was "
        "reached; after 3 attempts when it never was)",
    )
    p.add_argument(
        "--reconnect-delay",
        type=float,
        default=None,
        metavar="S",
        help="first wait after a failure; it doubles up to 60 s (default 1)",
    )
    p.add_argument(
        "--accept-bad-crc",
        action="store_true",
        help="also write telegrams whose CRC is wrong (their crc.status is 'bad')",
    )
    p.add_argument(
        "--include-skipped",
        action="store_true",
        help="also write a JSON line for each skipped frame or link event",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="log connection events too")
    p.add_argument("--quiet", "-q", action="store_true", help="log nothing but fatal errors")
    p.set_defaults(func=run, run=run)  # cli.py dispatches on ``run``; ``func`` for others


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for name in (
        "interval",
        "timeout",
        "profile",
        "serial",
        "request_line",
        "http",
        "retries",
        "reconnect_delay",
        "token",
    ):
        value = getattr(args, name, None)
        if value is not None:
            opts[name] = value
    # a source never reached at all is a wrong address or a missing device: say so after three
    # attempts (a few seconds) instead of retrying in silence; --retries decides otherwise
    opts["retries_unreached"] = args.retries if args.retries is not None else 2
    if args.watchdog is not None:
        opts["watchdog"] = args.watchdog if args.watchdog > 0 else None
    if args.gas_channel is not None:
        opts["mbus_channels"] = {"gas": args.gas_channel}
    if args.seven_bit != "auto":
        opts["seven_bit"] = args.seven_bit == "on"
    if args.ca is not None or args.insecure:
        opts["verify"] = args.ca if args.ca is not None else False
    if args.follow:
        opts["follow"] = True
    if args.accept_bad_crc:
        opts["accept_bad_crc"] = True
    if args.include_skipped:
        opts["yield_errors"] = True
    return opts


def _setup_logging(args: argparse.Namespace) -> Callable[[], None]:
    """Send the sources' log to stderr for this command; returns what undoes it (the command also
    runs inside other programs and tests, whose logging must be left as it was)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("dsmrparse read: %(message)s"))
    logger = logging.getLogger("dsmrparse.sources")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(
        logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING
    )
    logger.propagate = False

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate

    return undo


def run(args: argparse.Namespace) -> int:
    from .errors import ProfileError, SourceError
    from .hardware import Skipped
    from .hardware import open as open_source
    from .sources.address import AddressError
    from .sources.links import MissingDependency

    undo_logging = _setup_logging(args)
    out: IO[bytes] = sys.stdout.buffer
    written = 0
    source = None
    try:
        source = open_source(args.source, **_options(args))
        with source:
            for item in source:
                if isinstance(item, Skipped):
                    line = _dumps(item.to_dict())
                elif args.format == "raw":
                    if item.raw is None:
                        logging.getLogger("dsmrparse.sources").warning(
                            "%s gives no raw telegram (JSON only): use --format jsonl", args.source
                        )
                        return EXIT_SOURCE
                    out.write(item.raw)
                    out.flush()
                    written += 1
                    if args.count is not None and written >= args.count:
                        break
                    continue
                else:
                    line = item.to_json()
                out.write(line.encode("utf-8") + b"\n")
                out.flush()
                if not isinstance(item, Skipped):
                    written += 1
                    if args.count is not None and written >= args.count:
                        break
    except MissingDependency as exc:
        print(f"dsmrparse read: {exc}", file=sys.stderr)
        return EXIT_MISSING
    except AddressError as exc:  # a malformed address: nothing was tried
        print(f"dsmrparse read: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SourceError as exc:
        print(f"dsmrparse read: {exc}", file=sys.stderr)
        return EXIT_SOURCE
    except (ProfileError, ValueError, TypeError) as exc:
        print(f"dsmrparse read: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:  # (a closed stdout goes on to the command's handler: exit 141, as for parse)
        if source is not None and not args.quiet:
            s = source.stats
            skipped = ", ".join(f"{k} {v}" for k, v in sorted(s.skipped.items())) or "nothing"
            print(
                f"dsmrparse read: {written} written; skipped {skipped}; reconnects {s.reconnects}",
                file=sys.stderr,
            )
        undo_logging()
    return EXIT_OK


def _dumps(obj: dict[str, Any]) -> str:
    from .telegram import dumps

    return dumps(obj)
