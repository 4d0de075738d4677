"""What stands behind :mod:`dsmrparse.hardware` (the public door): one module per kind of link or
bridge, and the sans-IO session that the sync and the async driver both run.

- ``address``: what a source address names, checked before anything connects
- ``session`` and ``drivers``: the protocol of a stream or polled source, and the two loops
- ``links``: serial ports (pyserial), ``socket://``, files and standard input
- ``http`` and ``httpget``: HTTP(S) bridges, and one GET with a deadline and a body bound
- ``ws`` and ``homewizard_ws``: the DSMRloggerWS websocket and HomeWizard's push API
- ``fields``: bridge JSON onto this library's field names, with bounds on what it accepts
- ``common``: options, ``Skipped``, statistics, the frames-to-telegrams pipeline, back-off

Nothing here is imported by ``import dsmrparse``; ``dsmrparse.open`` loads it on first use.
"""
