"""How fast the logger's page paints and how much it weighs: a measurement, not a unit test.

Run: ``PYTHONPATH=src python3 benchmarks/web_paint.py [--loads 7]``. Starts
``dsmrparse serve --simulate dsmr5`` on a loopback port and Debian's chromium (headless, through
Selenium and /usr/bin/chromedriver), then loads ``/`` again and again on a cold cache and prints
the first contentful paint, DOMContentLoaded and load of each load, and the bytes of the page's
files. The first load of a freshly started browser is slower (its own warm-up); the median
leaves it out.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _serve_proc import Server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(arg)
    with tempfile.TemporaryDirectory() as data:
        server = Server(Path(data), "--simulate", "dsmr5")
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.execute_cdp_cmd("Network.enable", {})
            paints: list[float] = []
            size = 0
            print("load  first paint ms  DOMContentLoaded ms  load ms")
            for n in range(args.loads):
                driver.get("about:blank")
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                driver.get(server.url + "/")
                time.sleep(1.0)  # let the paint entries settle
                paint, ready, loaded, size = driver.execute_script(
                    "const p = performance.getEntriesByName('first-contentful-paint');"
                    "const n = performance.getEntriesByType('navigation')[0];"
                    "const files = [n, ...performance.getEntriesByType('resource')]"
                    "  .filter(e => !['fetch', 'xmlhttprequest', 'other']"
                    "  .includes(e.initiatorType));"
                    "return [p.length ? p[0].startTime : -1, n.domContentLoadedEventEnd,"
                    "  n.loadEventEnd, files.reduce((a, e) => a + e.decodedBodySize, 0)]"
                )
                paints.append(paint)
                print(f"{n:4d}  {paint:14.0f}  {ready:19.0f}  {loaded:7.0f}")
            rest = paints[1:] or paints
            print(f"page and its files: {size} bytes")
            median = statistics.median(rest)
            low, high, first = min(rest), max(rest), paints[0]
            print(f"first paint: median {median:.0f} ms of loads 1..{len(paints) - 1}, ", end="")
            print(f"min {low:.0f}, max {high:.0f}; load 0: {first:.0f} ms")
        finally:
            driver.quit()
            server.stop()


if __name__ == "__main__":
    main()
