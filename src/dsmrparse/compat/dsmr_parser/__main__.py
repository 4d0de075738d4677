"""dsmr_parser's ``dsmr_console``: print every telegram's values from a serial port or TCP.

``python -m dsmrparse.compat.dsmr_parser --device /dev/ttyUSB0 --version 5`` or
``... --host 192.168.1.20 --port 2001``; reconnects after 5 seconds when the link is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from .clients.protocol import VERSIONS, create_dsmr_reader, create_tcp_dsmr_reader
from .objects import Telegram

RECONNECT_DELAY = 5.0


def print_telegram(telegram: Telegram) -> None:
    """One line per object, ``value unit``, then a blank line (dsmr_console's output)."""
    for obj in telegram.values():
        if obj:
            if isinstance(obj, list):  # the Belgian peak history
                for row in obj:
                    print(row.value, row.unit)
            else:
                print(obj.value, obj.unit)
    print(flush=True)


async def _run(args: argparse.Namespace) -> None:
    while True:
        if args.host and args.port:
            reader = create_tcp_dsmr_reader(args.host, args.port, args.version, print_telegram)
        else:
            reader = create_dsmr_reader(args.device, args.version, print_telegram)
        transport, protocol = await reader
        try:
            await protocol.wait_closed()
        finally:
            transport.close()
        await asyncio.sleep(RECONNECT_DELAY)


def console(argv: Sequence[str] | None = None) -> int:
    """Output DSMR data to the console."""
    parser = argparse.ArgumentParser(
        prog="python -m dsmrparse.compat.dsmr_parser", description=console.__doc__
    )
    parser.add_argument("--device", default="/dev/ttyUSB0", help="port to read DSMR data from")
    parser.add_argument("--host", default=None, help="alternatively connect using TCP host")
    parser.add_argument("--port", default=None, help="TCP port to use for connection")
    parser.add_argument("--version", default="2.2", choices=list(VERSIONS), help="DSMR version")
    parser.add_argument("--verbose", "-v", action="count")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
    try:
        asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(console())
